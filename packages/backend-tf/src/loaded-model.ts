/**
 * What every format loader returns: one shape for layers models, graph models and SavedModels.
 * A leaf module, so the loaders and the dispatcher in model.ts share it without importing each other.
 */
import type { DataType, NamedTensorMap, Tensor } from '@tensorflow/tfjs';

export type ModelFormat = 'layers-model' | 'graph-model' | 'saved-model';

/** An input or output as TF.js sees it; shape uses -1 for unknown dims and is absent for unknown rank. */
export interface TfTensorSpec {
  readonly name: string;
  readonly dtype?: DataType;
  readonly shape?: readonly number[];
}

export interface LoadedModel {
  readonly format: ModelFormat;
  readonly inputs: readonly TfTensorSpec[];
  readonly outputs: readonly TfTensorSpec[];
  /** The requested outputs, in order. The caller owns (and disposes) the inputs and the results. */
  run(inputs: NamedTensorMap, outputNames: readonly string[]): Promise<Tensor[]>;
  dispose(): void;
}

/** -1 for the unknown (null) dims TF.js reports. */
export function dims(shape: readonly (number | null)[] | undefined): number[] | undefined {
  return shape?.map((d) => (d === null || d < 0 ? -1 : d));
}
