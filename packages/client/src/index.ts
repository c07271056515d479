export {
  RemoteModel,
  type RemoteModelOptions,
  type CallOptions,
  type InferOptions,
  type InferInputs,
  type InferResult,
} from './remote-model.js';
export type { Compression } from './compression.js';
export type { Answer, Transport, TransportRequest } from './transport.js';
export * from '@graphpipe/protocol';
