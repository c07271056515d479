/** A TensorFlow SavedModel directory, run by native TensorFlow through tfjs-node's tf.node API. */
import { NATIVE_HINT, type Engine } from './engine.js';
import { dims, type LoadedModel, type TfTensorSpec } from './loaded-model.js';
import type { SavedModelTensorInfo } from './native-api.js';

export interface SavedModelOptions {
  /** MetaGraph tags. Default ['serve']. */
  readonly tags?: readonly string[];
  /** SignatureDef key. Default 'serving_default'. */
  readonly signature?: string;
}

export async function loadSavedModel(
  dir: string,
  engine: Engine,
  options: SavedModelOptions = {},
): Promise<LoadedModel> {
  if (!engine.native) {
    throw new Error(
      `${dir} is a TensorFlow SavedModel, which needs native TensorFlow (now: ${engine.kind}); ${NATIVE_HINT}, ` +
        'or convert it with tensorflowjs_converter to a graph model',
    );
  }
  const tags = [...(options.tags ?? ['serve'])];
  const signatureKey = options.signature ?? 'serving_default';
  const metaGraph = (await engine.native.getMetaGraphsFromSavedModel(dir)).find(
    (g) => g.tags.length === tags.length && tags.every((t) => g.tags.includes(t)),
  );
  const signature = metaGraph?.signatureDefs[signatureKey];
  if (!signature) throw new Error(`${dir} has no signature "${signatureKey}" under tags [${tags.join(', ')}]`);
  const model = await engine.native.loadSavedModel(dir, tags, signatureKey);
  return {
    format: 'saved-model',
    inputs: specs(signature.inputs),
    outputs: specs(signature.outputs),
    async run(feeds, outputNames) {
      const all = model.predict(feeds);
      const wanted = new Set(outputNames);
      for (const [name, t] of Object.entries(all)) if (!wanted.has(name)) t.dispose();
      return outputNames.map((name) => all[name]!);
    },
    dispose: () => model.dispose(),
  };
}

function specs(entries: Readonly<Record<string, SavedModelTensorInfo>>): TfTensorSpec[] {
  return Object.entries(entries).map(([name, info]) => ({
    name,
    dtype: info.dtype,
    shape: info.shape?.every((d) => typeof d === 'number') ? dims(info.shape as number[]) : undefined,
  }));
}
