import type { MetadataResponse, TensorSpec } from '@graphpipe/protocol';
import type { ModelMetadata } from '@graphpipe/server-core';

/** The upstream's MetadataResponse as server-core's ModelMetadata. */
export function toModelMetadata(meta: MetadataResponse, name?: string): ModelMetadata {
  return {
    name: name ?? meta.name,
    version: meta.version || undefined,
    description: meta.description || undefined,
    inputs: meta.inputs.map(toSpec),
    outputs: meta.outputs.map(toSpec),
  };
}

function toSpec(io: TensorSpec): TensorSpec {
  return {
    name: io.name,
    description: io.description || undefined,
    // Wire type Null: the upstream takes any dtype.
    dtype: io.dtype,
    // Undefined when the upstream accepts any rank; [] is a scalar.
    shape: io.shape,
  };
}
