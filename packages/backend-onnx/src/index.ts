export type { ModelHeader, OnnxBackend } from '@graphpipe/onnx-common';
export { createOnnxBackend } from './create-backend.js';
export { readModelHeader } from './model-header.js';
export type { Device, OnnxBackendOptions } from './options.js';
