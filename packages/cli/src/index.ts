export { buildProgram, main } from './main.js';
export { detectModelKind, loadBackend, type ModelKind } from './load-backend.js';
export { parseNpy, toNpy } from './npy.js';
export { readTensorArg, tensorFromJson } from './tensor-file.js';
