export * from './dtype.js';
export * from './tensor.js';
export { byteValues, displayStrings, textValues, utf8Values } from './string-elements.js';
export * from './errors.js';
export type * from './messages.js';
export * from './limits.js';
export { checkModelName, isModelName, MODEL_NAME_RULE, toModelName } from './model-name.js';
export { parseNpy, toNpy } from './npy.js';
export { type JsonTensor, tensorFromJson, tensorToJson } from './json-tensor.js';
export { byteLengthOf, chunkStream, concatBytes, JOIN_BELOW_BYTES } from './bytes.js';
export { grpcTimeout, grpcTimeoutMs, TIMEOUT_HEADER } from './grpc-timeout.js';
export { decodeRequest, decodeInferResponse, decodeMetadataResponse, decodeTensor } from './decode.js';
export {
  encodeInferRequest,
  encodeInferRequestChunks,
  encodeMetadataRequest,
  encodeInferResponse,
  encodeInferResponseChunks,
  encodeMetadataResponse,
  encodeTensor,
  type EncodeOptions,
  type InferRequestInit,
  type InferResponseInit,
  type MetadataResponseInit,
} from './encode.js';
