/**
 * A TensorFlow SavedModel directory, run by native TensorFlow through tfjs-node's tf.node API.
 * tfjs-node is an optional peer, so the slice of its API used here is declared locally.
 */
import type { DataType, NamedTensorMap } from '@tensorflow/tfjs';
import { NATIVE_HINT, type Engine } from './engine.js';
import { dims, type LoadedModel, type TfTensorSpec } from './model.js';

interface SavedModelTensorInfo {
  readonly name: string;
  readonly dtype: DataType;
  /** Numbers in practice; anything else means the shape is not declared here. */
  readonly shape?: readonly unknown[];
}
interface MetaGraph {
  readonly tags: readonly string[];
  readonly signatureDefs: Readonly<
    Record<
      string,
      {
        readonly inputs: Readonly<Record<string, SavedModelTensorInfo>>;
        readonly outputs: Readonly<Record<string, SavedModelTensorInfo>>;
      }
    >
  >;
}
interface TFSavedModel {
  /** Given a map keyed by signature input keys, returns a map keyed by signature output keys. */
  predict(inputs: NamedTensorMap): NamedTensorMap;
  dispose(): void;
}
export interface NativeApi {
  getMetaGraphsFromSavedModel(path: string): Promise<MetaGraph[]>;
  loadSavedModel(path: string, tags?: string[], signature?: string): Promise<TFSavedModel>;
}

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
