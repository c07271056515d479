// Kept here for programs that import them from server-core; they live in @graphpipe/protocol.
export { grpcTimeoutMs, TIMEOUT_HEADER } from '@graphpipe/protocol';
export type * from './backend.js';
/** The old name of InferContext, kept for callers that use it. */
export type { InferContext as RunContext } from './backend.js';
export { BodyCollector, type BodyLimits, DEFAULT_MAX_BODY_BYTES } from './http/body.js';
export type { RequestContext, Route } from './http/context.js';
export type {
  MetricsHooks,
  ServerCore,
  ServerCoreOptions,
  ServerLoad,
} from './http/core.js';
export { type CorsOptions, corsSetup } from './http/cors.js';
export { asGraphPipeError, errorReply, jsonErrorReply } from './http/errors.js';
export { binaryReply, type Exchange, jsonReply, type Reply, type ReplyBody, textReply } from './http/exchange.js';
export { Lifecycle } from './http/lifecycle.js';
export { type RouteMatch, RouteTable } from './http/routes.js';
export { createLogger, resolveLogger } from './logger.js';
export type { BatchingOptions } from './models/batcher.js';
export { RequestTimeout } from './models/deadline.js';
export {
  createFunctionBackend,
  type FunctionBackendOptions,
  type FunctionContext,
  type FunctionResult,
  type InferFunction,
} from './models/function-backend.js';
export { ConcurrencyLimiter } from './models/limiter.js';
export type { ModelLimits } from './models/limits.js';
export { metadataJson } from './models/metadata.js';
export { type ModelEvents, ServedModel, type ServedModelOptions } from './models/model.js';
export { ModelRegistry } from './models/registry.js';
export {
  checkTensor,
  type ModelSignature,
  type ResolvedRequest,
  resolveRequest,
  signatureOf,
} from './models/resolve.js';
export type { RowCacheOptions } from './models/row-cache.js';
export { createGraphPipeApp, type GraphPipeAppOptions, honoAppFor } from './runtimes/app.js';
export { createFetchHandler, toResponse, webExchange } from './runtimes/web.js';
export { createServerCore } from './server.js';
export {
  type RequestOutcome,
  RequestTrace,
  startRequestTrace,
  type TraceCarrier,
} from './tracing/request-trace.js';
export type { TracedRun } from './tracing/spans.js';
