export type * from './backend.js';
export { createGraphPipeApp, type GraphPipeAppOptions, honoAppFor } from './runtimes/app.js';
export {
  createServerCore,
  type MetricsHooks,
  type ServerCore,
  type ServerCoreOptions,
  type ServerLoad,
} from './http/core.js';
export type { RequestContext } from './http/context.js';
export { binaryReply, type Exchange, jsonReply, type Reply, type ReplyBody, textReply } from './http/exchange.js';
export { createFetchHandler, toResponse, webExchange } from './runtimes/web.js';
export { type CorsOptions, corsSetup } from './http/cors.js';
export {
  createFunctionBackend,
  type FunctionBackendOptions,
  type FunctionResult,
  type FunctionContext,
  type InferFunction,
} from './models/function-backend.js';
export { ConcurrencyLimiter } from './models/limiter.js';
export { Lifecycle } from './http/lifecycle.js';
export { BodyCollector, type BodyLimits, DEFAULT_MAX_BODY_BYTES } from './http/body.js';
export {
  checkTensor,
  resolveRequest,
  signatureOf,
  type ModelSignature,
  type ResolvedRequest,
} from './models/resolve.js';
export { asGraphPipeError, errorReply, jsonErrorReply } from './http/errors.js';
export { createLogger, resolveLogger } from './logger.js';
export { metadataJson } from './models/metadata.js';
export { type ModelEvents, ServedModel, type ServedModelOptions } from './models/model.js';
/** The old name of InferContext, kept for callers that use it. */
export type { InferContext as RunContext } from './backend.js';
export type { BatchingOptions } from './models/batcher.js';
export type { RowCacheOptions } from './models/row-cache.js';
export { ModelRegistry } from './models/registry.js';
export type { Route } from './http/context.js';
export { type RouteMatch, RouteTable } from './http/routes.js';
