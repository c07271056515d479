import { type DecodeLimits, GraphPipeError } from '@graphpipe/protocol';
import type { Logger } from 'pino';
import type { ModelLimits } from '../models/limits.js';
import type { ModelEvents } from '../models/model.js';
import type { ModelRegistry } from '../models/registry.js';
import { isThenable } from '../settles.js';
import { traceHttpRequest } from '../tracing/http.js';
import type { RequestTrace } from '../tracing/request-trace.js';
import { accessDenied, type Tokens } from './auth.js';
import { type BodyLimits, DEFAULT_MAX_BODY_BYTES } from './body.js';
import { BodyPool } from './body-pool.js';
import { ByteBudget } from './budget.js';
import type { Route } from './context.js';
import { RequestContext } from './context.js';
import { answerCoding } from './encoding.js';
import { asGraphPipeError, errorReply, SHUTTING_DOWN } from './errors.js';
import { compressed, type Exchange, type Reply } from './exchange.js';
import type { Lifecycle } from './lifecycle.js';
import { checkedTimeout } from './request-timeout.js';
import { NO_PARAMS, type RouteTable } from './routes.js';

/** The server's options; its ModelLimits are every model's defaults. */
export interface ServerCoreOptions extends ModelLimits {
  /** Largest request body accepted, in bytes (413 beyond). Default 256 MiB. */
  maxBodyBytes?: number;
  /** Time allowed for a request body to arrive, in ms (408 after). Default 30 000. */
  bodyTimeoutMs?: number;
  /**
   * How long an inference may take, in ms, from when its request reaches the model (its body read),
   * for callers that set no deadline of their own (see RequestContext.deadline). Default: none.
   */
  requestTimeoutMs?: number;
  /** Decoder bounds: elements per tensor, tensors per request, rank. */
  decodeLimits?: Partial<DecodeLimits>;
  /** Request body bytes held at once across all requests (503 beyond). Default 4 × maxBodyBytes. */
  maxInflightBytes?: number;
  /** The `Server` field of the metadata. Default 'graphpipe-ts'. */
  serverName?: string;
  /** The model for requests that name none. Default: the only model, when there is one. */
  defaultModel?: string;
  /** A token callers of models must send (`Authorization: Bearer <token>`); none by default. */
  authToken?: string;
  /** The token for model administration routes, which are off without one. */
  adminToken?: string;
  /** One line per request (and one per 5xx with its cause); none when absent or false. */
  logger?: Logger | false;
  /** Prometheus-style hooks, where the runtime has them (the Node adapter's). */
  metrics?: MetricsHooks;
  /** The playground page for browsers, at GET /ui and at GET / for requests that accept HTML. Default true. */
  ui?: boolean;
}

/**
 * What a metrics implementation gives the core: a count for each answer, a scrape at GET
 * /metrics, and the models' batches and cache lookups.
 */
export interface MetricsHooks extends ModelEvents {
  observe(ctx: RequestContext, status: number, seconds: number): void;
  scrape(): Promise<Reply>;
}

export interface ServerLoad {
  readonly running: number;
  readonly queued: number;
  readonly bytesInFlight: number;
}

/**
 * The server minus the runtime: every request of every adapter goes through `handle`. Runtime
 * adapters (Node streams, web Request/Response) only move bytes in and out of an Exchange.
 */
export interface ServerCore {
  handle(exchange: Exchange): Promise<void>;
  /** The models served; add and remove versions while serving (see ModelRegistry). */
  readonly models: ModelRegistry;
  /** Endpoints; add your own before the first request. */
  readonly routes: RouteTable;
  /**
   * Protocol extensions served besides binary_tensor_data and statistics, which the Open Inference
   * Protocol's server metadata lists with them (e.g. 'model_repository').
   */
  readonly extensions: Set<string>;
  readonly lifecycle: Lifecycle<RequestContext>;
  /** The options it was made with (logger and metrics resolved): what another front door (gRPC) runs with too. */
  readonly options: ServerCoreOptions;
  /** Request bytes held across all requests, and the limit (maxInflightBytes); shared with other front doors. */
  readonly budget: ByteBudget;
  /** Inferences running and waiting, and request body bytes held, right now. */
  load(): ServerLoad;
  /**
   * Answers every request still waiting for its reply with 503 and aborts its work (for a drain
   * that ran out of time); replies already on their way are left to finish. Returns how many.
   */
  turnAway(): number;
  /** Releases every model; call once, after the last request. */
  close(): Promise<void>;
}

const ANSWERED = Promise.resolve();

const NOT_FOUND: Route = {
  protocol: 'http',
  access: 'open',
  duringShutdown: true,
  handle(ctx) {
    const { method, path } = ctx.exchange;
    throw new GraphPipeError('NOT_FOUND', `no route for ${method} ${path}`);
  },
};

/** What the core runs requests over: the models, the routes (wired by server.ts), and the requests in flight. */
export interface CoreParts {
  readonly models: ModelRegistry;
  readonly routes: RouteTable;
  readonly lifecycle: Lifecycle<RequestContext>;
  /** The protocol extensions the routes serve (see ServerCore). */
  readonly extensions: Set<string>;
  /** Another core's byte budget, to share its limit on bytes in flight; default: a budget of its own. */
  readonly budget?: ByteBudget;
  /** Starts a request's trace as its front door's conventions have it; default: HTTP's (see tracing/). */
  readonly traceRequest?: (exchange: Exchange, protocol: string, template: string) => RequestTrace | undefined;
}

/** Runs requests: route, lifecycle, body limits and byte budget, the 503 during shutdown, error answers, logs, metrics. */
export function runRequests(
  { models, routes, lifecycle, extensions, budget, traceRequest = traceHttpRequest }: CoreParts,
  options: ServerCoreOptions = {},
): ServerCore {
  const bodyLimits: BodyLimits = {
    maxBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    timeoutMs: options.bodyTimeoutMs ?? 30_000,
  };
  const bytesInFlight = budget ?? new ByteBudget(options.maxInflightBytes ?? 4 * bodyLimits.maxBytes);
  const shared = {
    bodyLimits,
    budget: bytesInFlight,
    pool: new BodyPool(bytesInFlight),
    requestTimeoutMs: checkedTimeout(options.requestTimeoutMs),
  };
  const tokens: Tokens = { models: options.authToken, admin: options.adminToken };
  const { logger = false, metrics } = options;

  /** The error answer for a failed request, logged when it is the server's fault. */
  function failed(ctx: RequestContext, route: Route, err: unknown): Reply {
    const error = asGraphPipeError(err);
    ctx.trace?.failed(error.code, error.message, error.status);
    if (logger && error.status >= 500 && error.code !== 'UNAVAILABLE') {
      logger.error({ err, path: ctx.exchange.path, model: ctx.model, version: ctx.version }, error.message);
    }
    return (route.errorReply ?? errorReply)(error);
  }

  /** Work that arrives during shutdown: read what the caller is sending, so it gets its 503 rather than a reset mid-upload. */
  async function turnAwayNow(ctx: RequestContext): Promise<Reply> {
    try {
      await ctx.readBody();
    } catch {}
    throw SHUTTING_DOWN();
  }

  /** Sends the reply (compressed when the caller asks); once it is out: leave the lifecycle, release the body and model, log, count. */
  function send(ctx: RequestContext, reply: Reply, started: number, close: boolean): void {
    ctx.replied = true;
    reply = compressed(reply, answerCoding(ctx.exchange.header('accept-encoding')), ctx.bodyCoding !== undefined);
    ctx.trace?.writing();
    ctx.exchange.send(reply, close, () => {
      ctx.trace?.end(reply.status, ctx);
      lifecycle.leave(ctx);
      ctx.release();
      if (!logger && !metrics) return;
      const ms = performance.now() - started;
      metrics?.observe(ctx, reply.status, ms / 1000);
      if (logger) {
        const { method, path } = ctx.exchange;
        const { kind, model, version } = ctx;
        logger.info({
          method,
          path,
          kind: kind || undefined,
          model,
          version,
          status: reply.status,
          ms: +ms.toFixed(2),
        });
      }
    });
  }

  /**
   * What every request goes through, whatever the runtime. Hot: one promise chain from the
   * route's answer to the send, and none at all for a route that answers at once.
   */
  function handle(exchange: Exchange): Promise<void> {
    const started = performance.now();
    const match = routes.match(exchange.method, exchange.path, exchange);
    const route = match?.route ?? NOT_FOUND;
    const ctx = new RequestContext(exchange, route, match?.params ?? NO_PARAMS, shared);
    if (match) ctx.trace = traceRequest(exchange, route.protocol, match.template);
    // Work that arrives during shutdown is turned away, and its connection closed, so the client
    // retries elsewhere; probes keep their connection.
    const turnedAway = !lifecycle.ready && !route.duringShutdown;
    lifecycle.enter(ctx);
    // A drain that ran out of time may have answered it already.
    const reply = (r: Reply) => {
      if (!ctx.replied) send(ctx, r, started, turnedAway);
    };
    let answer: Reply | Promise<Reply>;
    try {
      const denied = accessDenied(route.access ?? 'models', exchange, tokens);
      if (denied) throw denied;
      answer = turnedAway ? turnAwayNow(ctx) : route.handle(ctx);
    } catch (err) {
      answer = failed(ctx, route, err);
    }
    if (!isThenable(answer)) {
      reply(answer);
      return ANSWERED;
    }
    return Promise.resolve(answer).then(reply, (err: unknown) => reply(failed(ctx, route, err)));
  }

  return {
    handle,
    models,
    routes,
    extensions,
    lifecycle,
    options,
    budget: shared.budget,
    load() {
      let running = 0;
      let queued = 0;
      for (const m of models.served()) {
        running += m.running;
        queued += m.queued;
      }
      return { running, queued, bytesInFlight: shared.budget.inUse };
    },
    turnAway() {
      let count = 0;
      for (const ctx of lifecycle.requests()) {
        if (ctx.replied) continue;
        const error = SHUTTING_DOWN();
        ctx.exchange.abort(error);
        send(ctx, (ctx.route.errorReply ?? errorReply)(error), performance.now(), true);
        count++;
      }
      return count;
    },
    close: () => models.close(),
  };
}
