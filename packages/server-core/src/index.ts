export type * from './backend.js';
export { appFor, createGraphPipeApp, DEFAULT_MAX_BODY_BYTES, type GraphPipeAppOptions } from './app.js';
export { createGraphPipeHandler, type Answer, type Exchange, type GraphPipeHandler } from './handler.js';
export {
  createFunctionBackend,
  type FunctionBackendOptions,
  type FunctionResult,
  type FunctionContext,
  type InferFunction,
} from './function-backend.js';
export { ConcurrencyLimiter } from './limiter.js';
export { Lifecycle } from './lifecycle.js';
export { webAnswer, webExchange } from './web-io.js';
export { BodyCollector, type BodyLimits } from './body.js';
export { checkTensor, resolveRequest, signatureOf, type ModelSignature, type ResolvedRequest } from './resolve.js';
export { asGraphPipeError, errorResponse } from './errors.js';
export { createLogger } from './logger.js';
export { metadataJson } from './metadata.js';
