export { createOnnxBackend } from './create-backend.js';
export type { OnnxBackend } from '@graphpipe/onnx-common';
export type { Device, OnnxBackendOptions } from './options.js';
export { readModelHeader } from './model-header.js';
export type { ModelHeader } from '@graphpipe/onnx-common';
