export { createOnnxBackend } from './create-backend.js';
export type { OnnxBackend } from '@graphpipe/onnx-common';
export type { OnnxBackendOptions } from './options.js';
