import { encodeMetadataResponse, wireFromDType } from '@graphpipe/protocol';
import type { IOSpec, ModelMetadata } from './backend.js';

export const SERVER_NAME = 'graphpipe-ts';

/** The MetadataResponse bytes; metadata is fixed for a backend's life, so this is built once. */
export function metadataBytes(meta: ModelMetadata, server: string): Uint8Array {
  return encodeMetadataResponse({
    name: meta.name,
    version: meta.version ?? '',
    server,
    description: meta.description ?? '',
    inputs: meta.inputs.map(ioInit),
    outputs: meta.outputs.map(ioInit),
  });
}

function ioInit(io: IOSpec) {
  return { name: io.name, description: io.description ?? '', shape: io.shape ?? [], dtype: io.dtype };
}

/** The JSON the original Go server answers a GET with: capitalised keys, Type as the wire number. */
export function metadataJson(meta: ModelMetadata, server: string) {
  const io = (spec: IOSpec) => ({
    Name: spec.name,
    Description: spec.description ?? '',
    Shape: spec.shape ?? [],
    Type: spec.dtype === undefined ? 0 : wireFromDType(spec.dtype),
  });
  return {
    Name: meta.name,
    Version: meta.version ?? '',
    Server: server,
    Description: meta.description ?? '',
    Inputs: meta.inputs.map(io),
    Outputs: meta.outputs.map(io),
  };
}
