export { resultsByName } from './fetch-outputs.js';
export { describeModel, type ModelDescription, type NameOverrides, type OnnxValueInfo } from './metadata.js';
export { type ByteSource, bytesSource, type ModelHeader, modelHeaderOr, parseModelHeader } from './model-header.js';
export { OnnxBackend, type RunResults, type Runner } from './onnx-backend.js';
export type { OrtOutput, OrtTensorConstructor, OrtTensorLike, OrtValueMetadata, SessionIO } from './ort-types.js';
export { checkedConcurrency, loadError, runError } from './run-error.js';
export { fromOrtTensor, toOrtTensor } from './tensor-convert.js';
