import type { IOMetadata, MetadataResponse } from '@graphpipe/protocol';
import type { IOSpec, ModelMetadata } from '@graphpipe/server-core';

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

function toSpec(io: IOMetadata): IOSpec {
  return {
    name: io.name,
    description: io.description || undefined,
    // Wire type Null: the upstream takes any dtype.
    dtype: io.dtype,
    // Servers write [] for "no declared shape" as well as for scalars; the wire cannot tell them
    // apart, so [] is left open here and the upstream, which knows, checks it.
    shape: io.shape.length ? io.shape : undefined,
  };
}
