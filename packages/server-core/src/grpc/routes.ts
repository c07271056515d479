/**
 * The gRPC front door's endpoints: each RPC of `inference.GRPCInferenceService` and
 * `grpc.health.v1.Health` as a route of the core (at the method's path), so calls get what HTTP
 * requests get: tokens, the lifecycle and its UNAVAILABLE during shutdown, the byte budget, logs
 * and metrics (protocol "grpc"). Answers are the same as the REST protocol's, made by the same code.
 */

import type { DecodeLimits } from '@graphpipe/protocol';
import { GraphPipeError, type InferRequest, messageOf, type Tensor } from '@graphpipe/protocol';
import {
  configParameter,
  type DescMessage,
  encodeModelInferResponse,
  fromBinary,
  fromJson,
  GRPCInferenceService,
  Health,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
  type InferParameter,
  type MessageShape,
  ModelConfigResponseSchema,
  ModelInferRequestSchema,
  ModelReadyResponseSchema,
  ModelStatisticsResponseSchema,
  modelMetadataResponse,
  RepositoryIndexResponseSchema,
  RepositoryModelLoadResponseSchema,
  RepositoryModelUnloadResponseSchema,
  rawInputContentsAt,
  requestInputs,
  ServerLiveResponseSchema,
  ServerMetadataResponseSchema,
  ServerReadyResponseSchema,
  toBinary,
} from '@graphpipe/protocol/grpc';
import { v2ModelMetadata } from '@graphpipe/protocol/v2';
import type { BodyPlacement } from '../http/body.js';
import type { RequestContext, Route } from '../http/context.js';
import type { Reply } from '../http/exchange.js';
import type { Lifecycle } from '../http/lifecycle.js';
import { timeoutParameterDeadline } from '../http/request-timeout.js';
import type { RouteTable } from '../http/routes.js';
import { SERVER_VERSION } from '../models/metadata.js';
import type { ServedModel } from '../models/model.js';
import { modelName, versionOf } from '../models/names.js';
import type { ModelRegistry } from '../models/registry.js';
import { resolveRequest } from '../models/resolve.js';
import type { RepositoryAdmin } from '../protocols/repository-admin-routes.js';
import { modelConfig, modelStats, notReady, V2_EXTENSIONS } from '../protocols/v2-routes.js';
import { inSpan } from '../tracing/spans.js';
import type { GrpcExchange } from './exchange.js';

export interface GrpcRouteOptions {
  readonly decodeLimits: DecodeLimits;
  /** The server metadata's name, and the platform of models that name none. */
  readonly serverName: string;
  /** Extensions served besides the REST protocol's own (e.g. model_repository). */
  readonly extensions: ReadonlySet<string>;
  /** The model repository, for the repository RPCs (administrators only). */
  readonly repository?: RepositoryAdmin;
}

/** A method's path, as gRPC sends it: /package.Service/Method. */
export function methodPath(service: { readonly typeName: string }, method: { readonly name: string }): string {
  return `/${service.typeName}/${method.name}`;
}

const OK: Pick<Reply, 'status' | 'headers'> = { status: 200, headers: {} };

export function addGrpcRoutes(
  table: RouteTable,
  models: ModelRegistry,
  lifecycle: Lifecycle<unknown>,
  options: GrpcRouteOptions,
): void {
  const infer = GRPCInferenceService.method;
  /** A unary RPC: the request message decoded, the answer encoded; `extra` sets access and shutdown. */
  const rpc = <I extends DescMessage, O extends DescMessage>(
    method: { readonly name: string; readonly input: I; readonly output: O },
    kind: string,
    answer: (
      request: MessageShape<I>,
      ctx: RequestContext,
      body: Uint8Array,
    ) => MessageShape<O> | Uint8Array[] | Promise<MessageShape<O> | Uint8Array[]>,
    extra: Partial<Route> = {},
    service: { readonly typeName: string } = GRPCInferenceService,
    placement?: (exchange: GrpcExchange) => BodyPlacement,
  ) => {
    // An answer may come encoded already, in chunks (ModelInfer's, whose raw contents go out uncopied that way).
    const encode = (reply: MessageShape<O> | Uint8Array[]) =>
      Array.isArray(reply) ? reply : toBinary(method.output, reply);
    table.add('POST', methodPath(service, method), {
      protocol: 'grpc',
      ...extra,
      handle: (ctx) =>
        ctx.readBody(placement?.(ctx.exchange as GrpcExchange)).then(async (body) => {
          ctx.kind = kind;
          const reply = await answer(decode(method.input, body), ctx, body);
          return { ...OK, body: inSpan(ctx.trace, 'encode', encode, reply) };
        }),
    });
  };
  const open = { access: 'open', duringShutdown: true } as const;
  const named = (ctx: RequestContext, name: string, version: string) => {
    const model = models.find(modelName(name), version ? versionOf(version) : undefined);
    ctx.model = model.name;
    ctx.version = model.version;
    return model;
  };

  rpc(infer.serverLive, 'live', () => json(ServerLiveResponseSchema, { live: true }), open);
  rpc(
    infer.serverReady,
    'ready',
    () => json(ServerReadyResponseSchema, { ready: notReady(models, lifecycle) === undefined }),
    open,
  );
  rpc(
    infer.modelReady,
    'ready',
    (request, ctx) => {
      named(ctx, request.name, request.version);
      return json(ModelReadyResponseSchema, { ready: lifecycle.ready });
    },
    { duringShutdown: true },
  );
  rpc(infer.serverMetadata, 'server-metadata', () =>
    json(ServerMetadataResponseSchema, {
      name: options.serverName,
      version: SERVER_VERSION,
      extensions: [...new Set([...V2_EXTENSIONS, ...options.extensions])],
    }),
  );
  rpc(infer.modelMetadata, 'metadata', (request, ctx) => {
    const model = named(ctx, request.name, request.version);
    const versions = models.versionsOf(model.name).map((m) => m.version);
    const platform = model.metadata.platform ?? options.serverName;
    return modelMetadataResponse(v2ModelMetadata(model.metadata, versions, platform));
  });
  rpc(infer.modelConfig, 'config', (request, ctx) => {
    const model = named(ctx, request.name, request.version);
    return json(ModelConfigResponseSchema, { config: modelConfig(model, options.serverName) });
  });
  rpc(infer.modelStatistics, 'stats', (request, ctx) => {
    let served: ServedModel[];
    if (!request.name) served = models.served();
    else if (!request.version) served = models.versionsOf(named(ctx, request.name, '').name);
    else served = [named(ctx, request.name, request.version)];
    return json(ModelStatisticsResponseSchema, { model_stats: served.map(modelStats) });
  });
  // The message placed so that its first tensor's raw contents are aligned, and read in place.
  rpc(infer.modelInfer, 'infer', runInfer, {}, GRPCInferenceService, (exchange) => ({
    alignAt: rawInputContentsAt(exchange.head) ?? 0,
  }));

  /** ModelInfer: the same checks and run as the other protocols', tensors as raw contents both ways. */
  async function runInfer(
    request: MessageShape<typeof ModelInferRequestSchema>,
    ctx: RequestContext,
    body: Uint8Array,
  ) {
    const model = ctx.use(named(ctx, request.modelName, request.modelVersion));
    // These routes are served by serveGrpc, whose exchanges carry the call's deadline.
    ctx.deadline = earliest(timeoutParameter(request.parameters), (ctx.exchange as GrpcExchange).deadline);
    // Bound for other threads: the tensors must be in shared memory, so the message goes there once.
    if (model.backend.sharedInputs) request = decode(ModelInferRequestSchema, sharedCopy(body));
    const inputs = requestInputs(request, options.decodeLimits);
    const asked: InferRequest = {
      kind: 'infer',
      config: configParameter(request.parameters),
      inputNames: inputs.map((i) => i.name),
      inputs: inputs.map((i) => i.tensor),
      outputNames: request.outputs.map((o) => o.name),
    };
    const resolved = resolveRequest(asked, model.signature);
    const outputs = await model.infer(resolved.inputs, resolved.outputNames, ctx.run(asked.config));
    const answer = new Array<{ name: string; tensor: Tensor }>(outputs.length);
    for (let i = 0; i < answer.length; i++) answer[i] = { name: resolved.answerNames[i]!, tensor: outputs[i]! };
    return encodeModelInferResponse({
      modelName: model.name,
      modelVersion: model.version,
      id: request.id,
      outputs: answer,
    });
  }

  const { repository } = options;
  const admin = { access: 'admin' } as const;
  const needRepository = () => {
    if (repository) return repository;
    throw new GraphPipeError('NOT_FOUND', 'this server has no model repository; serve a directory of models');
  };
  rpc(
    infer.repositoryIndex,
    'repository-index',
    async (request) => {
      const index = await needRepository().index({ ready: request.ready });
      return json(RepositoryIndexResponseSchema, { models: index });
    },
    admin,
  );
  const administer = (action: 'load' | 'unload') => async (request: { modelName: string }, ctx: RequestContext) => {
    const name = modelName(request.modelName);
    try {
      await needRepository().administer({ action, name });
    } catch (err) {
      // As the REST route does: a made-up name never labels metrics; a known one does.
      if ((err as GraphPipeError).code !== 'NOT_FOUND') ctx.model = name;
      throw err;
    }
    ctx.model = name;
    return {};
  };
  rpc(
    infer.repositoryModelLoad,
    'repository-load',
    async (request, ctx) => json(RepositoryModelLoadResponseSchema, await administer('load')(request, ctx)),
    admin,
  );
  rpc(
    infer.repositoryModelUnload,
    'repository-unload',
    async (request, ctx) => json(RepositoryModelUnloadResponseSchema, await administer('unload')(request, ctx)),
    admin,
  );

  // grpc.health.v1: the server ("" or the inference service) or one model, as Kubernetes' probes ask.
  rpc(
    Health.method.check,
    'health',
    (request) => {
      const { SERVING, NOT_SERVING } = HealthCheckResponse_ServingStatus;
      const { service } = request;
      let serving: boolean;
      if (service === '' || service === GRPCInferenceService.typeName) {
        serving = notReady(models, lifecycle) === undefined;
      } else {
        try {
          models.find(modelName(service));
          serving = lifecycle.ready;
        } catch {
          throw new GraphPipeError(
            'NOT_FOUND',
            `unknown service ${JSON.stringify(service)}; ask for "" or a model's name`,
          );
        }
      }
      return json(HealthCheckResponseSchema, { status: serving ? SERVING : NOT_SERVING });
    },
    open,
    Health,
  );
}

/**
 * The deadline the `timeout` parameter sets (microseconds, an int64 or uint64 parameter, as
 * Triton's clients send it); undefined when absent or 0.
 */
function timeoutParameter(parameters: { readonly [key: string]: InferParameter }): number | undefined {
  const timeout = Object.hasOwn(parameters, 'timeout') ? parameters.timeout!.parameterChoice : undefined;
  if (timeout === undefined || timeout.case === undefined) return undefined;
  if (timeout.case !== 'int64Param' && timeout.case !== 'uint64Param') {
    throw new GraphPipeError(
      'INVALID_ARGUMENT',
      `parameters.timeout must be an int64_param of microseconds, got a ${timeout.case}`,
    );
  }
  // Beyond 2^53 µs (285 years) is as good as none, as for the REST route.
  const us = timeout.value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(timeout.value);
  return timeoutParameterDeadline(us);
}

/** The earlier of two deadlines, either perhaps unset. */
function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** A message from bytes; bytes that are not one are the caller's mistake. */
function decode<I extends DescMessage>(schema: I, bytes: Uint8Array): MessageShape<I> {
  try {
    return fromBinary(schema, bytes);
  } catch (err) {
    throw new GraphPipeError('INVALID_MESSAGE', `not a valid ${schema.typeName} message: ${messageOf(err)}`);
  }
}

/**
 * A message from its JSON form (proto field names or JSON names), as the REST protocol's answers
 * are made: one description of each answer serves both.
 */
function json<O extends DescMessage>(schema: O, value: unknown): MessageShape<O> {
  return fromJson(schema, value as Parameters<typeof fromJson>[1]);
}

function sharedCopy(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.length));
  copy.set(bytes);
  return copy;
}
