import { encodeMetadataResponse, wireFromDType } from '@graphpipe/protocol';
import type { ModelMetadata, TensorSpec } from '../backend.js';

export const SERVER_NAME = 'graphpipe-ts';

/** This package's version, which the Open Inference Protocol's server metadata reports (kept equal to package.json by a test). */
export const SERVER_VERSION = '0.1.0';

/** The MetadataResponse bytes; metadata is fixed for a backend's life, so this is built once. */
export function metadataBytes(meta: ModelMetadata, server: string): Uint8Array {
  return encodeMetadataResponse({
    name: meta.name,
    version: meta.version ?? '',
    server,
    description: meta.description ?? '',
    inputs: meta.inputs,
    outputs: meta.outputs,
  });
}

/**
 * The JSON the original Go server answers a GET with: capitalised keys, Type as the wire number
 * (0 for any dtype), Shape null for any rank;
 * and the model's class names as `Labels` when it has them.
 */
export function metadataJson(meta: ModelMetadata, server: string) {
  const io = (spec: TensorSpec) => ({
    Name: spec.name,
    Description: spec.description ?? '',
    // null (Go's nil slice) for any rank: [] is a scalar's shape.
    Shape: spec.shape ?? null,
    Type: spec.dtype === undefined ? 0 : wireFromDType(spec.dtype),
  });
  return {
    Name: meta.name,
    Version: meta.version ?? '',
    Server: server,
    Description: meta.description ?? '',
    Inputs: meta.inputs.map(io),
    Outputs: meta.outputs.map(io),
    ...(meta.labels?.length ? { Labels: meta.labels } : {}),
  };
}
