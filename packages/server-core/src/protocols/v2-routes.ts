import type { DecodeLimits } from '@graphpipe/protocol';
import { GraphPipeError, type InferRequest, type Tensor } from '@graphpipe/protocol';
import {
  binaryOffsetOf,
  decodeV2RawInput,
  decodeV2Request,
  encodeV2Response,
  HEADER_LENGTH_HEADER,
  type V2Body,
  type V2InferRequest,
  type V2ModelConfig,
  type V2RawRequest,
  v2ModelConfig,
  v2ModelMetadata,
} from '@graphpipe/protocol/v2';
import type { RequestContext, Route } from '../http/context.js';
import { jsonErrorReply } from '../http/errors.js';
import { JSON_TYPE, jsonReply, type Reply } from '../http/exchange.js';
import type { Lifecycle } from '../http/lifecycle.js';
import { timeoutParameterDeadline } from '../http/request-timeout.js';
import type { RouteTable } from '../http/routes.js';
import { RequestTimeout } from '../models/deadline.js';
import { SERVER_VERSION } from '../models/metadata.js';
import type { ServedModel } from '../models/model.js';
import { modelName, versionOf } from '../models/names.js';
import type { ModelRegistry } from '../models/registry.js';
import { resolveRequest } from '../models/resolve.js';
import type { DurationTotal } from '../models/stats.js';
import { inSpan } from '../tracing/spans.js';

export interface V2RouteOptions {
  readonly decodeLimits: DecodeLimits;
  /** The server metadata's name, and the platform of models that name none. */
  readonly serverName: string;
  /** Extensions served besides the ones these routes provide (e.g. model_repository). */
  readonly extensions: ReadonlySet<string>;
}

/** The extensions these routes provide. */
export const V2_EXTENSIONS = ['binary_tensor_data', 'statistics', 'model_configuration'] as const;

const EMPTY: Reply = { status: 200, headers: {}, body: '' };

/**
 * The Open Inference Protocol, version 2 (KServe / Triton REST), over the same models as
 * GraphPipe: health, server and model metadata, model readiness, inference (JSON, binary tensor
 * data, the raw single-input form), statistics and Triton's model configuration. Errors are `{"error": "<one line>"}`.
 * Readiness answers 503 when not ready, as KServe does.
 */
export function addV2Routes(
  table: RouteTable,
  models: ModelRegistry,
  lifecycle: Lifecycle<unknown>,
  options: V2RouteOptions,
): void {
  const route = (handle: Route['handle'], extra: Partial<Route> = {}): Route => ({
    protocol: 'v2',
    errorReply: v2ErrorReply,
    handle,
    ...extra,
  });
  // Probes: open to all, answering while the server drains, and not model traffic in the metrics.
  const probe = (handle: Route['handle']): Route =>
    route(handle, { protocol: 'http', access: 'open', duringShutdown: true });
  const named = (ctx: RequestContext) => models.find(modelName(ctx.params.name!), versionOf(ctx.params.version));

  table.add(
    'GET',
    '/v2/health/live',
    probe(() => EMPTY),
  );
  table.add(
    'GET',
    '/v2/health/ready',
    probe(() => {
      const why = notReady(models, lifecycle);
      if (why) throw new GraphPipeError('UNAVAILABLE', `not ready: ${why}`);
      return EMPTY;
    }),
  );
  table.add(
    'GET',
    '/v2',
    route((ctx) => {
      ctx.kind = 'server-metadata';
      const extensions = [...new Set([...V2_EXTENSIONS, ...options.extensions])];
      return jsonReply(JSON.stringify({ name: options.serverName, version: SERVER_VERSION, extensions }));
    }),
  );

  /** Statistics of every version served, of the URL's model's versions, or of the URL's version. */
  const statistics = (ctx: RequestContext, scope: 'all' | 'model' | 'version') => {
    ctx.kind = 'stats';
    const served =
      scope === 'all' ? models.served() : scope === 'model' ? models.versionsOf(named(ctx).name) : [named(ctx)];
    return jsonReply(JSON.stringify({ model_stats: served.map(modelStats) }));
  };
  const stats = route((ctx) => statistics(ctx, ctx.params.version === undefined ? 'model' : 'version'));

  const metadata = route((ctx) => {
    // GET /v2/models/stats is every model's statistics (as Triton answers it). Not a route of its
    // own: a static path beside /v2/models/:name would make hono fall back to its slower router.
    if (ctx.params.name === 'stats' && ctx.params.version === undefined) return statistics(ctx, 'all');
    const model = named(ctx);
    ctx.kind = 'metadata';
    ctx.model = model.name;
    ctx.version = model.version;
    const versions = models.versionsOf(model.name).map((m) => m.version);
    const platform = model.metadata.platform ?? options.serverName;
    return jsonReply(JSON.stringify(v2ModelMetadata(model.metadata, versions, platform)));
  });
  // Triton's model configuration, which its tools read before anything else.
  const config = route((ctx) => {
    const model = named(ctx);
    ctx.kind = 'config';
    ctx.model = model.name;
    ctx.version = model.version;
    return jsonReply(JSON.stringify(modelConfig(model, options.serverName)));
  });
  // A model is ready when it is served and the server is not shutting down; probes get that answer
  // (503) during shutdown too, rather than the 503 that closes their connection.
  const ready = route(
    (ctx) => {
      const model = named(ctx);
      ctx.kind = 'ready';
      ctx.model = model.name;
      ctx.version = model.version;
      if (!lifecycle.ready) throw new GraphPipeError('UNAVAILABLE', 'the server is shutting down');
      return EMPTY;
    },
    { duringShutdown: true },
  );
  const infer = route(async (ctx) => {
    const model = ctx.use(named(ctx));
    const header = ctx.exchange.header(HEADER_LENGTH_HEADER);
    // Binary tensors start right after the JSON header: place them 8-aligned, so they are views.
    const body = await ctx.readBody({ shared: model.backend.sharedInputs, alignAt: binaryOffsetOf(header) });
    const request = decodeV2Request(body, header, options.decodeLimits);
    ctx.kind = 'infer';
    if (request.kind === 'infer' && request.parameters?.timeout !== undefined) {
      ctx.deadline = timeoutParameterDeadline(request.parameters.timeout);
    }
    const asked = asInferRequest(request, model, options.decodeLimits);
    const { inputs, outputNames, answerNames } = resolveRequest(asked, model.signature);
    const outputs = await model.infer(inputs, outputNames, ctx.run(asked.config));
    const answer = new Array<{ name: string; tensor: Tensor; binary: boolean }>(outputNames.length);
    for (let i = 0; i < answer.length; i++) {
      const name = answerNames[i]!;
      answer[i] = { name, tensor: outputs[i]!, binary: asBinary(request, name) };
    }
    const id = request.kind === 'infer' ? request.id : undefined;
    const response = { modelName: model.name, modelVersion: model.version, id, outputs: answer };
    return v2Reply(inSpan(ctx.trace, 'encode', encodeV2Response, response));
  });

  for (const prefix of ['/v2/models/:name', '/v2/models/:name/versions/:version']) {
    table.add('GET', prefix, metadata);
    table.add('GET', `${prefix}/ready`, ready);
    table.add('GET', `${prefix}/stats`, stats);
    table.add('GET', `${prefix}/config`, config);
    table.add('POST', `${prefix}/infer`, infer);
  }
  // Anything else under these paths is a mistake, answered in the protocol's own error form.
  const unknown = route(
    (ctx) => {
      const { method, path } = ctx.exchange;
      throw new GraphPipeError(
        'NOT_FOUND',
        `no route for ${method} ${path}; use /v2/models/<name>[/versions/<version>][/ready|/infer|/stats|/config]`,
      );
    },
    { access: 'open', duringShutdown: true },
  );
  for (const path of ['/v2/models', '/v2/models/*', '/v2/health/*']) {
    table.add('GET', path, unknown);
    table.add('POST', path, unknown);
  }
}

/** Why the server is not ready, or undefined when it is: shutting down, or a model loading or failed. */
export function notReady(models: ModelRegistry, lifecycle: Lifecycle<unknown>): string | undefined {
  if (!lifecycle.ready) return 'the server is shutting down';
  for (const { name, version, state, reason } of models.status()) {
    if (state === 'LOADING') return `version ${version} of model "${name}" is loading`;
    if (state === 'UNAVAILABLE') return `version ${version} of model "${name}" failed to load: ${reason}`;
  }
  return undefined;
}

/** Errors as `{"error": …}`; a request whose deadline passed gets 503, Triton's answer to its `timeout`. */
function v2ErrorReply(error: GraphPipeError): Reply {
  if (!(error instanceof RequestTimeout)) return jsonErrorReply(error);
  return jsonErrorReply(new GraphPipeError(error.code, error.message, { status: 503 }));
}

/**
 * The request in GraphPipe's form, for the checks both protocols share (resolveRequest). The raw
 * form feeds the model's one input and asks for its default outputs. A `config` parameter (a
 * string) is GraphPipe's per-request config.
 */
function asInferRequest(
  request: V2InferRequest | V2RawRequest,
  model: ServedModel,
  limits: DecodeLimits,
): InferRequest {
  if (request.kind === 'raw') {
    const specs = [...model.signature.inputs.values()];
    if (specs.length !== 1) {
      throw new GraphPipeError(
        'INVALID_ARGUMENT',
        `the raw binary form (Inference-Header-Content-Length: 0) needs a model with one input; "${model.name}" has ${specs.length}`,
      );
    }
    const input = decodeV2RawInput(request.bytes, specs[0]!, limits);
    return { kind: 'infer', config: '', inputNames: [input.name], inputs: [input.tensor], outputNames: [] };
  }
  const config = request.parameters?.config;
  if (config !== undefined && typeof config !== 'string') {
    throw new GraphPipeError('INVALID_ARGUMENT', 'parameters.config must be a string');
  }
  const inputNames = new Array<string>(request.inputs.length);
  const inputs = new Array<Tensor>(request.inputs.length);
  request.inputs.forEach((input, i) => {
    inputNames[i] = input.name;
    inputs[i] = input.tensor;
  });
  return {
    kind: 'infer',
    config: config ?? '',
    inputNames,
    inputs,
    outputNames: request.outputs?.map((o) => o.name) ?? [],
  };
}

/** Whether an output goes as binary data: its own choice, else the request's; always for the raw form. */
function asBinary(request: V2InferRequest | V2RawRequest, name: string): boolean {
  if (request.kind === 'raw') return true;
  const asked = request.outputs?.find((o) => o.name === name)?.binary;
  return asked ?? request.binaryOutput;
}

/** The encoded answer: JSON alone, or JSON and binary data with the header that splits them. */
function v2Reply(body: V2Body): Reply {
  if (body.headerLength === undefined) return { status: 200, headers: JSON_TYPE, body: body.chunks[0]! };
  return {
    status: 200,
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH_HEADER]: String(body.headerLength) },
    body: body.chunks,
  };
}

/** Triton's configuration of a served version; `serverName` is the platform of a model that names none. */
export function modelConfig(model: ServedModel, serverName: string): V2ModelConfig {
  const { inputs, outputs, platform = serverName } = model.metadata;
  const { batching, concurrency: instances } = model;
  return v2ModelConfig({ name: model.name, platform, inputs, outputs, batching, instances });
}

/** One version's statistics in the extension's form (durations in nanoseconds). */
export function modelStats(model: ServedModel) {
  const s = model.stats;
  const ns = (t: DurationTotal) => ({ count: t.count, ns: Math.round(t.ms * 1e6) });
  // Backends prepare inputs and extract outputs inside their run: that time is in compute_infer.
  const inside = (count: number) => ({ count, ns: 0 });
  return {
    name: model.name,
    version: model.version,
    last_inference: Math.round(s.lastInference),
    inference_count: s.inferences,
    execution_count: s.compute.count,
    inference_stats: {
      success: ns(s.success),
      fail: ns(s.fail),
      queue: ns(s.queue),
      compute_input: inside(s.compute.count),
      compute_infer: ns(s.compute),
      compute_output: inside(s.compute.count),
    },
    batch_stats: [...s.batches]
      .sort(([a], [b]) => a - b)
      .map(([size, run]) => ({
        batch_size: size,
        compute_input: inside(run.count),
        compute_infer: ns(run),
        compute_output: inside(run.count),
      })),
  };
}
