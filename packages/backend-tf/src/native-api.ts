/**
 * The slice of tfjs-node's `tf.node` API used for SavedModels. tfjs-node is an optional peer, so it
 * is declared here; a leaf module, so the engine and the SavedModel loader share it without a cycle.
 */
import type { DataType, NamedTensorMap } from '@tensorflow/tfjs';

export interface SavedModelTensorInfo {
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
