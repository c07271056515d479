export { createOnnxWebBackend, type OnnxWebBackend, type OnnxWebBackendOptions } from './create-backend.js';
