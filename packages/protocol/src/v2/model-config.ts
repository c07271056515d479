/**
 * A model's configuration in Triton's JSON form (its model_config.proto, as
 * `GET /v2/models/{name}/config` answers it), made from the model's tensor specs and how it is
 * served. Triton's tools (perf_analyzer, Model Analyzer, tritonclient's get_model_config) read it.
 */
import type { DType } from '../dtype.js';
import type { TensorSpec } from '../messages.js';
import { datatypeOf } from './datatype.js';

export interface V2TensorConfig {
  readonly name: string;
  readonly data_type: string;
  readonly dims: readonly number[];
  /** For a tensor of the batch dimension alone: dims [1] reshaped to a scalar per row, as Triton writes it. */
  readonly reshape?: { readonly shape: readonly number[] };
}

export interface V2ModelConfig {
  readonly name: string;
  readonly platform: string;
  readonly backend: string;
  readonly max_batch_size: number;
  readonly input: readonly V2TensorConfig[];
  readonly output: readonly V2TensorConfig[];
  readonly dynamic_batching?: {
    readonly preferred_batch_size: readonly number[];
    readonly max_queue_delay_microseconds: number;
  };
  readonly instance_group: readonly { readonly count: number; readonly kind: 'KIND_CPU' }[];
}

export interface V2ModelConfigInit {
  readonly name: string;
  readonly platform: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** The server's dynamic batching of this model, when on. */
  readonly batching?: { readonly maxBatchSize: number; readonly maxDelayMs: number };
  /** Inferences the server runs at once. */
  readonly instances: number;
}

/** Triton's data_type of a dtype: TYPE_ and the datatype, BYTES being TYPE_STRING; no dtype is TYPE_INVALID. */
export function tritonDataType(dtype: DType | undefined): string {
  if (dtype === undefined) return 'TYPE_INVALID';
  const datatype = datatypeOf(dtype);
  return datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`;
}

/**
 * The configuration. `max_batch_size` is the batching's largest batch when batching is on and
 * every input and output leads with a variable (-1) dimension: only then does the server join
 * requests along a batch dimension every tensor has, and the dims leave it out. Otherwise it is
 * 0 and the dims are the shapes the metadata lists (a request may still hold any number of rows
 * where a shape says -1). `dynamic_batching` is there whenever batching is on.
 */
export function v2ModelConfig(init: V2ModelConfigInit): V2ModelConfig {
  const { batching } = init;
  const specs = [...init.inputs, ...init.outputs];
  const batched = batching !== undefined && specs.every((s) => s.shape !== undefined && s.shape[0] === -1);
  const tensor = (spec: TensorSpec): V2TensorConfig => {
    const shape = spec.shape ?? [-1];
    const common = { name: spec.name, data_type: tritonDataType(spec.dtype) };
    if (!batched) return { ...common, dims: shape };
    return shape.length === 1 ? { ...common, dims: [1], reshape: { shape: [] } } : { ...common, dims: shape.slice(1) };
  };
  return {
    name: init.name,
    platform: init.platform,
    // Triton's platforms are named backend_format (onnxruntime_onnx, tensorflow_savedmodel).
    backend: init.platform.split('_')[0]!,
    max_batch_size: batched ? batching.maxBatchSize : 0,
    input: init.inputs.map(tensor),
    output: init.outputs.map(tensor),
    ...(batching && {
      dynamic_batching: {
        // The batcher runs a batch as soon as it is full, and no smaller one before the delay.
        preferred_batch_size: [batching.maxBatchSize],
        max_queue_delay_microseconds: Math.round(batching.maxDelayMs * 1000),
      },
    }),
    instance_group: [{ count: init.instances, kind: 'KIND_CPU' }],
  };
}
