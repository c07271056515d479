export type * from './backend.js';
export { createGraphPipeApp, type GraphPipeAppOptions, honoAppFor } from './app.js';
export {
  createServerCore,
  type MetricsHooks,
  type ServerCore,
  type ServerCoreOptions,
  type ServerLoad,
} from './core.js';
export type { RequestContext } from './context.js';
export { binaryReply, type Exchange, jsonReply, type Reply, type ReplyBody, textReply } from './exchange.js';
export { createFetchHandler, toResponse, webExchange } from './web.js';
export { type CorsOptions, corsSetup } from './cors.js';
export {
  createFunctionBackend,
  type FunctionBackendOptions,
  type FunctionResult,
  type FunctionContext,
  type InferFunction,
} from './function-backend.js';
export { ConcurrencyLimiter } from './limiter.js';
export { Lifecycle } from './lifecycle.js';
export { BodyCollector, type BodyLimits, DEFAULT_MAX_BODY_BYTES } from './body.js';
export { checkTensor, resolveRequest, signatureOf, type ModelSignature, type ResolvedRequest } from './resolve.js';
export { asGraphPipeError, errorReply, jsonErrorReply } from './errors.js';
export { createLogger, resolveLogger } from './logger.js';
export { metadataJson } from './metadata.js';
export { type ModelEvents, ServedModel, type ServedModelOptions, type RunContext } from './model.js';
export type { BatchingOptions } from './batcher.js';
export type { RowCacheOptions } from './row-cache.js';
export { ModelRegistry } from './registry.js';
export { type Route, type RouteMatch, RouteTable } from './routes.js';
