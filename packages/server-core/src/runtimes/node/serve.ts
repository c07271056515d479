import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  createServer as createHttpsServer,
  type Server as HttpsServer,
  type ServerOptions as TlsOptions,
} from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server as NetServer } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Backend } from '../../backend.js';
import type { GrpcServerHandle } from '../../grpc/handle.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../http/body.js';
import type { ServerCore } from '../../http/core.js';
import { corsSetup } from '../../http/cors.js';
import { resolveLogger } from '../../logger.js';
import { createMetrics, type NodeMetrics } from '../../metrics/metrics.js';
import type { ModelRepository } from '../../repository/index.js';
import { createServerCore } from '../../server.js';
import { honoAppFor } from '../app.js';
import { closeOnSignals, gracefulClose, type Listener, type RuntimeServeOptions, urlOf } from '../runtime-serve.js';
import { FreshConnections } from './connections.js';
import { NodeExchange } from './exchange.js';

/** Node's options: every runtime's (see RuntimeServeOptions) and Node's own. */
export interface ServeOptions extends Omit<RuntimeServeOptions, 'metrics'> {
  /**
   * How long an idle keep-alive connection stays open, in ms. Default 65 000: longer than
   * common load balancers' idle timeouts, so the server is never the one to close a
   * connection a client is about to reuse (Node's own default of 5 s invites such races).
   */
  keepAliveTimeoutMs?: number;
  /**
   * Serve Prometheus metrics at GET /metrics (requests, latency, queue, memory). Default true.
   * 'cluster': this process is one worker of a cluster, and the metrics are the whole cluster's.
   */
  metrics?: boolean | 'cluster';
  /** Serve HTTPS with Node's TLS: at least `cert` and `key` (PEM), as `https.createServer` takes them. */
  tls?: TlsOptions;
  /**
   * Also serve the Open Inference Protocol over gRPC on a port of its own (Triton's is 8001; 0
   * picks a free one), on `host` unless it says another, with TLS when `tls` is set. Off without
   * it.
   */
  grpc?: { readonly port: number; readonly host?: string };
}

export interface ServerHandle {
  /** The base URL clients should use, e.g. http://127.0.0.1:9000 */
  readonly url: string;
  readonly port: number;
  readonly server: Server | HttpsServer;
  readonly core: ServerCore;
  /** The model repository served, when there is one. */
  readonly repository?: ModelRepository;
  /** The gRPC front door, when on (see ServeOptions.grpc). */
  readonly grpc?: GrpcServerHandle;
  /**
   * Shuts down gracefully: reports not ready, keeps answering 503 for `graceMs` (default
   * `shutdownGraceMs`), stops accepting, lets requests in flight finish (up to the drain
   * timeout), then closes the backend. Safe to call more than once.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

/** How long shutdown waits for a client that has just connected to send its request. */
const FIRST_REQUEST_WAIT_MS = 1_000;

/**
 * Serves one backend, several, or none yet (add them to `handle.core.models`) on Node's HTTP
 * server; resolves once listening.
 */
export async function serve(backends: Backend | readonly Backend[], options: ServeOptions = {}): Promise<ServerHandle> {
  const logger = resolveLogger(options.logger);
  let core: ServerCore | undefined;
  const metrics: NodeMetrics | undefined =
    options.metrics === false ? undefined : createMetrics(() => core!, { cluster: options.metrics === 'cluster' });
  core = createServerCore(backends, { ...options, logger, metrics });
  const served = core;
  const { repository, tls } = options;
  try {
    // Models that warm up are ready before the server listens, as a repository's are.
    await served.models.warmedUp();
  } catch (err) {
    await served.close();
    throw err;
  }
  if (repository) {
    metrics?.observeRepository(repository);
    await repository.start(served, { logger });
  }
  const cors = corsSetup(options.cors);
  const extraHeaders = Object.entries(cors.headers).flat();
  // Hono answers what needs its CORS middleware: preflights, or everything with custom options.
  const viaHono = cors.middleware && getRequestListener(honoAppFor(served, options.cors).fetch);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    fresh.settle(req.socket);
    if (viaHono && (cors.everywhere || req.method === 'OPTIONS')) void viaHono(req, res);
    else void served.handle(new NodeExchange(req, res, extraHeaders));
  };
  const server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  server.on('checkContinue', continueUnlessTooLarge(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, listener));
  // Bodies are bounded by the core's own timeout; Node's defaults would cut long inferences.
  server.requestTimeout = 0;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  // Node requires the header deadline to exceed the keep-alive one.
  server.headersTimeout = server.keepAliveTimeout + 1_000;
  const fresh = new FreshConnections(server, tls ? 'secureConnection' : 'connection');
  const host = options.host ?? '127.0.0.1';
  let grpc: GrpcServerHandle | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(options.port ?? 9000, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Loaded only when asked for, so that HTTP alone needs no gRPC library.
    if (options.grpc) {
      const { serveGrpc } = await import('../../grpc/server.js');
      grpc = await serveGrpc(served, { host, ...options.grpc, tls, repository }).catch((err: unknown) => {
        server.close();
        throw err;
      });
    }
  } catch (err) {
    // Not listening (port taken, say): stop what was started, or its watcher keeps the process alive.
    await repository?.close();
    await served.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = urlOf(tls ? 'https' : 'http', host, port);
  let stopped: Promise<void> | undefined;
  const connections: Listener = {
    // Closing a listening socket resets the connections the kernel accepted but Node has not yet
    // taken; in the check phase, the event loop's poll phase has just taken all of them.
    caughtUp: () => new Promise((resolve) => setImmediate(resolve)),
    stopAccepting: () => {
      stopped = stopListening(server);
      return stopped;
    },
    firstRequests: () => fresh.settled(FIRST_REQUEST_WAIT_MS),
    closeIdle: () => server.closeIdleConnections(),
    closeAll: () => {
      server.closeAllConnections();
      return stopped!;
    },
  };
  const close = gracefulClose(
    served,
    grpc ? alongside(connections, grpc.listener) : connections,
    options,
    logger,
    repository,
  );

  if (options.handleSignals) {
    closeOnSignals(
      close,
      logger,
      {
        onSignal: (signal, listener) => process.once(signal, listener),
        exit: (code) => process.exit(code),
      },
      options.beforeExit,
    );
  }
  return { url, port, server, core: served, ...(repository ? { repository } : {}), ...(grpc ? { grpc } : {}), close };
}

/** The HTTP listener with the gRPC one: both stop accepting together, and both close what is left. */
function alongside(http: Listener, grpc: GrpcServerHandle['listener']): Listener {
  return {
    ...http,
    stopAccepting: () => Promise.all([http.stopAccepting(), grpc.stopAccepting()]).then(() => {}),
    closeAll: () => Promise.all([http.closeAll(), grpc.closeAll()]).then(() => {}),
  };
}

/**
 * Stops accepting connections; resolves once every connection has closed. http.Server#close
 * would also close every connection Node counts as idle, and Node counts one whose answer is
 * ended but still being flushed as idle: that cut large answers short. net.Server's close only
 * stops listening; idle connections are closed once every answer is out.
 */
function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => NetServer.prototype.close.call(server, () => resolve()));
}

/**
 * `Expect: 100-continue`: the upload is invited (100 Continue) unless its declared length is over
 * the limit; then the request goes on uninvited, and its 413 is the only answer the client gets.
 */
function continueUnlessTooLarge(
  maxBodyBytes: number,
  listener: (req: IncomingMessage, res: ServerResponse) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (!(Number(req.headers['content-length']) > maxBodyBytes)) res.writeContinue();
    listener(req, res);
  };
}
