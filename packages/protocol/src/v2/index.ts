/**
 * The Open Inference Protocol, version 2 (KServe / Triton REST): inference requests and
 * responses in JSON and with the binary tensor data extension, model metadata and configuration,
 * and the datatypes. No Node-only APIs.
 */
export { binaryChunks, lengthPrefixed, tensorFromBinary } from './binary.js';
export { DATATYPES, type Datatype, datatypeOf, dtypeOfDatatype } from './datatype.js';
export type { JsonObject } from './json-reader.js';
export {
  ANY_DATATYPE,
  tensorSpecsFromV2,
  type V2ModelMetadata,
  type V2TensorMetadata,
  v2ModelMetadata,
  v2TensorMetadata,
} from './metadata.js';
export {
  tritonDataType,
  type V2ModelConfig,
  type V2ModelConfigInit,
  type V2TensorConfig,
  v2ModelConfig,
} from './model-config.js';
export {
  decodeV2RawInput,
  decodeV2Request,
  encodeV2Request,
  type RequestedOutput,
  type V2Body,
  type V2InferRequest,
  type V2RawRequest,
  type V2RequestInit,
} from './request.js';
export { decodeV2Response, encodeV2Response, type V2InferResponse, type V2ResponseInit } from './response.js';
export { binaryOffsetOf, jsonLengthOf, type NamedTensor } from './tensor-json.js';

/** The header that gives the length of the JSON part when binary tensor data follows it. */
export const HEADER_LENGTH_HEADER = 'inference-header-content-length';
