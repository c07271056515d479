export { buildProgram, main } from './main.js';
export { loadBackend } from './load-backend.js';
export { readTensorArg } from './tensor-file.js';
// Kept here for programs that imported them from the CLI; they live in @graphpipe/protocol.
export { parseNpy, tensorFromJson, toNpy } from '@graphpipe/protocol';
