/**
 * What the entry points share: the graceful shutdown (Node's too), and for Bun and Deno one core
 * behind a web fetch handler, with the Node entry point's options, health routes and metrics.
 * Each runtime supplies only its listener (how to stop accepting, and how to close what is left).
 */
import type { Logger } from 'pino';
import type { Backend } from '../backend.js';
import type { ServerCore, ServerCoreOptions } from '../http/core.js';
import { type CorsOptions, corsSetup } from '../http/cors.js';
import { resolveLogger } from '../logger.js';
import { createMetrics, type NodeMetrics } from '../metrics/metrics.js';
import type { ModelRepository } from '../repository/index.js';
import { createServerCore } from '../server.js';
import { settlesWithin } from '../settles.js';
import { honoAppFor } from './app.js';
import { createFetchHandler } from './web.js';

/** The options that mean the same on every runtime (Node's ServeOptions adds its own). */
export interface RuntimeServeOptions extends Omit<ServerCoreOptions, 'metrics'> {
  /** Interface to listen on. Default 127.0.0.1; use 0.0.0.0 to accept remote callers. */
  host?: string;
  /** Port; 0 picks a free one. Default 9000. */
  port?: number;
  /** CORS for browser callers: true (any origin, the default), false, or hono's cors options. */
  cors?: boolean | CorsOptions;
  /**
   * How long shutdown waits for requests in flight to be answered, in ms, after which the ones
   * not answered yet get 503. Answers already being written always finish. Default 10 000.
   */
  drainTimeoutMs?: number;
  /**
   * How long to keep answering after SIGTERM (or `close()`) before no longer accepting
   * connections, in ms: readiness says not ready and new requests get 503 with Retry-After and
   * Connection: close, so a load balancer moves traffic away without errors. Default 0.
   */
  shutdownGraceMs?: number;
  /** Close gracefully on SIGTERM and SIGINT, then exit. Default false (a library should not own signals). */
  handleSignals?: boolean;
  /** With handleSignals: runs once the server has closed, before the process exits (say, to flush traces). */
  beforeExit?: () => Promise<void>;
  /** Serve Prometheus metrics at GET /metrics. Default true. (Clusters are Node's only.) */
  metrics?: boolean;
  /**
   * A directory of models to serve (see ModelRepository): its routes are added and its models
   * loaded before the server listens; it stops watching when the server closes.
   */
  repository?: ModelRepository;
}

export interface RuntimeServerHandle<S> {
  /** The base URL clients should use, e.g. http://127.0.0.1:9000 */
  readonly url: string;
  readonly port: number;
  /** The runtime's own server object. */
  readonly server: S;
  readonly core: ServerCore;
  /** The model repository served, when there is one. */
  readonly repository?: ModelRepository;
  /** Shuts down gracefully, as the Node entry point's `close()` does. Safe to call more than once. */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** A runtime's server, as the shutdown needs it. */
export interface Listener {
  /** Stops accepting connections; resolves once those still open have finished their answers. */
  stopAccepting(): Promise<void>;
  /** Closes whatever connections are still open. */
  closeAll(): Promise<void>;
  /** Resolves once connections the system has already accepted are taken (before stopping: Node). */
  caughtUp?(): Promise<void>;
  /** Resolves once connections taken have sent their first request, or closed (Node). */
  firstRequests?(): Promise<void>;
  /** Closes the connections that carry no answer, once every answer is out (Node). */
  closeIdle?(): void;
}

export type FetchHandler = (request: Request) => Promise<Response>;

/** How a runtime listens and exits: all an entry point supplies. */
export interface Runtime<S> {
  /** Listens (throwing when it cannot, a port taken say); `https` when it serves TLS. */
  listen(
    handler: FetchHandler,
    host: string,
    port: number,
  ): { server: S; port: number; listener: Listener; https?: boolean };
  onSignal(signal: 'SIGTERM' | 'SIGINT', listener: () => void): void;
  exit(code: number): void;
}

/**
 * Serves the backends on a runtime's listener, a repository's models loaded first; see the Bun
 * and Deno entry points.
 */
export async function serveOn<S>(
  runtime: Runtime<S>,
  backends: Backend | readonly Backend[],
  options: RuntimeServeOptions,
): Promise<RuntimeServerHandle<S>> {
  const { core, logger, metrics, handler } = runtimeCore(backends, options);
  const { repository } = options;
  if (repository) {
    metrics?.observeRepository(repository);
    await repository.start(core, { logger });
  }
  const host = options.host ?? '127.0.0.1';
  let listening: ReturnType<Runtime<S>['listen']>;
  try {
    listening = runtime.listen(handler, host, options.port ?? 9000);
  } catch (err) {
    // Not listening (port taken, say): stop what was started, or its watcher keeps the process alive.
    await repository?.close();
    await core.close();
    throw err;
  }
  const { server, port, listener, https } = listening;
  const close = gracefulClose(core, listener, options, logger, repository);
  if (options.handleSignals) closeOnSignals(close, logger, runtime, options.beforeExit);
  return {
    url: urlOf(https ? 'https' : 'http', host, port),
    port,
    server,
    core,
    ...(repository ? { repository } : {}),
    close,
  };
}

/** The core for `serve`, with the logger and metrics (prom-client runs on Bun and Deno too) it asked for. */
function runtimeCore(
  backends: Backend | readonly Backend[],
  options: RuntimeServeOptions,
): { core: ServerCore; logger: Logger | false; metrics: NodeMetrics | undefined; handler: FetchHandler } {
  const logger = resolveLogger(options.logger);
  let core: ServerCore | undefined;
  const metrics = options.metrics === false ? undefined : createMetrics(() => core!);
  core = createServerCore(backends, { ...options, logger, metrics });
  // These entry points serve at once: a model that warms up serves once it has (readiness says
  // when), and one whose warm-up fails is UNAVAILABLE, with the reason in the log.
  core.models.warmedUp().catch((err: unknown) => {
    if (logger) logger.error({ err }, (err as Error).message);
  });
  return { core, logger, metrics, handler: fetchHandlerFor(core, options.cors) };
}

/** Straight to the core, except what needs hono's CORS middleware: preflights, or everything with custom options. */
function fetchHandlerFor(core: ServerCore, cors: boolean | CorsOptions | undefined): FetchHandler {
  const setup = corsSetup(cors);
  const direct = createFetchHandler(core, setup.headers, { direct: true });
  if (!setup.middleware) return (request) => direct(request);
  const app = honoAppFor(core, cors);
  return async (request) => (setup.everywhere || request.method === 'OPTIONS' ? app.fetch(request) : direct(request));
}

/** The base URL for a host and port (an IPv6 address in brackets). */
export function urlOf(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Every entry point's graceful shutdown, on its runtime's listener: not ready; answers 503 for the
 * grace period; stops accepting; waits for the requests in flight (answering the rest 503 once
 * the drain timeout passes); closes the connections left, then `alsoClose` (a model repository)
 * and the models.
 */
export function gracefulClose(
  core: ServerCore,
  listener: Listener,
  options: Pick<RuntimeServeOptions, 'drainTimeoutMs' | 'shutdownGraceMs'>,
  logger: Logger | false,
  alsoClose?: { close(): Promise<void> },
): (closeOptions?: { graceMs?: number }) => Promise<void> {
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  let closing: Promise<void> | undefined;
  return ({ graceMs = options.shutdownGraceMs ?? 0 } = {}) => {
    closing ??= (async () => {
      const { lifecycle } = core;
      lifecycle.ready = false;
      // Nothing changes the models from now on (no loads or unloads); they close with the core.
      const alsoClosed = alsoClose?.close();
      if (graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs));
      await listener.caughtUp?.();
      const stopped = listener.stopAccepting();
      await listener.firstRequests?.();
      if (!(await lifecycle.drain(drainTimeoutMs))) {
        const writing = lifecycle.inFlight;
        const turnedAway = core.turnAway();
        if (logger) {
          logger.warn(
            { turnedAway, writing: writing - turnedAway },
            `drain timeout of ${drainTimeoutMs} ms passed: ${turnedAway} request(s) not yet answered get 503; answers already being written finish`,
          );
        }
        await lifecycle.drain(Number.POSITIVE_INFINITY);
      }
      // Every answer is out in full now, so closing idle connections cuts nothing.
      listener.closeIdle?.();
      // Connections still open now carry no answer (a request still uploading after the drain).
      if (!(await settlesWithin(stopped, drainTimeoutMs))) await listener.closeAll();
      await alsoClosed;
      await core.close();
      if (logger) logger.flush();
    })();
    return closing;
  };
}

/**
 * SIGTERM (from an orchestrator) closes with the grace period, SIGINT (Ctrl-C at a terminal) at
 * once; then `beforeExit` runs and the process exits. Every entry point's handleSignals.
 */
export function closeOnSignals(
  close: (options?: { graceMs?: number }) => Promise<void>,
  logger: Logger | false,
  { onSignal, exit }: Pick<Runtime<unknown>, 'onSignal' | 'exit'>,
  beforeExit?: () => Promise<void>,
): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    onSignal(signal, () => {
      if (logger) logger.info({ signal }, 'shutting down');
      close(signal === 'SIGINT' ? { graceMs: 0 } : {}).then(
        async () => {
          await beforeExit?.().catch((err: unknown) => {
            if (logger) logger.warn({ err }, 'before exit failed');
          });
          exit(0);
        },
        (err: unknown) => {
          if (logger) logger.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
    });
  }
}
