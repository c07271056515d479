export { buildProgram, main } from './main.js';
export { loadBackend } from './load-backend.js';
export { parseNpy, toNpy } from './npy.js';
export { readTensorArg, tensorFromJson } from './tensor-file.js';
