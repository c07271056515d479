/**
 * The Open Inference Protocol over gRPC (`inference.GRPCInferenceService`, as Triton and KServe
 * define it) and `grpc.health.v1.Health`: the protobuf-es messages and service descriptors
 * generated from schema/grpc/, tensors in and out of them, and gRPC status codes. No Node-only
 * APIs; the transport (a gRPC library) is the caller's.
 */
export * from './gen/grpc_service_pb.js';
export * from './gen/health_pb.js';
export * from './gen/model_config_pb.js';
export { modelMetadataResponse, v2MetadataOf } from './metadata.js';
export { codeFromGrpcStatus, GrpcStatus, grpcStatusOf } from './status.js';
export {
  configParameter,
  encodeModelInferResponse,
  encodeModelStreamInferResponse,
  type GrpcRequestInit,
  type GrpcResponseInit,
  inferRequest,
  inferResponse,
  rawContents,
  rawInputContentsAt,
  requestInputs,
  responseOutputs,
  tensorsOf,
} from './tensors.js';
// The protobuf-es runtime these messages need, re-exported so that users share this package's copy.
export { create, type DescMessage, fromBinary, fromJson, type MessageShape, toBinary } from '@bufbuild/protobuf';
