/** A Keras-style layers model (model.json with `format: "layers-model"`). */
import type { io, Tensor } from '@tensorflow/tfjs';
import type { Tf } from './engine.js';
import { fileLoadHandler } from './io.js';
import { dims, type LoadedModel } from './loaded-model.js';

export async function loadLayersModel(dir: string, json: io.ModelJSON, tf: Tf): Promise<LoadedModel> {
  const model = await tf.loadLayersModel(fileLoadHandler(dir, json, tf.io));
  // Layer names ("features", "probabilities") are what people name things by; predict() takes inputs in this order.
  const inputs = model.inputNames.map((name, i) => ({
    name,
    dtype: model.inputs[i]!.dtype,
    shape: dims(model.inputs[i]!.shape),
  }));
  const outputs = model.outputNames.map((name, i) => ({
    name,
    dtype: model.outputs[i]!.dtype,
    shape: dims(model.outputs[i]!.shape),
  }));
  const outputIndex = new Map(model.outputNames.map((name, i) => [name, i]));
  return {
    format: 'layers-model',
    inputs,
    outputs,
    async run(feeds, outputNames) {
      // tidy() frees every intermediate and the outputs nobody asked for; the returned ones survive.
      return tf.tidy(() => {
        const result = model.predict(inputs.map((spec) => feeds[spec.name]!));
        const all = Array.isArray(result) ? result : [result];
        return outputNames.map((name) => all[outputIndex.get(name)!]!) as Tensor[];
      });
    },
    dispose: () => model.dispose(),
  };
}
