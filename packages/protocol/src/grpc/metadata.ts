/** Model metadata between the gRPC message and the REST form (V2ModelMetadata), which both sides already speak. */
import { create } from '@bufbuild/protobuf';
import type { V2ModelMetadata } from '../v2/metadata.js';
import { type ModelMetadataResponse, ModelMetadataResponseSchema } from './gen/grpc_service_pb.js';

export function modelMetadataResponse(metadata: V2ModelMetadata): ModelMetadataResponse {
  const tensor = (t: V2ModelMetadata['inputs'][number]) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape.map((d) => BigInt(d)),
  });
  return create(ModelMetadataResponseSchema, {
    name: metadata.name,
    versions: [...(metadata.versions ?? [])],
    platform: metadata.platform,
    inputs: metadata.inputs.map(tensor),
    outputs: metadata.outputs.map(tensor),
  });
}

/** The REST form of a ModelMetadataResponse (for tensorSpecsFromV2). */
export function v2MetadataOf(response: ModelMetadataResponse): V2ModelMetadata {
  const tensor = (t: ModelMetadataResponse['inputs'][number]) => ({
    name: t.name,
    datatype: t.datatype,
    shape: t.shape.map(Number),
  });
  return {
    name: response.name,
    versions: response.versions,
    platform: response.platform,
    inputs: response.inputs.map(tensor),
    outputs: response.outputs.map(tensor),
  };
}
