export { createOnnxBackend } from './create-backend.js';
export type { OnnxBackend } from './onnx-backend.js';
export type { Device, OnnxBackendOptions } from './options.js';
export { type ModelHeader, readModelHeader } from './model-header.js';
