import { getRequestListener } from '@hono/node-server';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appFor } from './app.js';
import type { Backend } from './backend.js';
import { createGraphPipeHandler, type GraphPipeAppOptions } from './handler.js';
import { Lifecycle } from './lifecycle.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { servePostOnNode } from './node-io.js';

export interface ServeOptions extends GraphPipeAppOptions {
  /** Interface to listen on. Default 127.0.0.1; use 0.0.0.0 to accept remote callers. */
  host?: string;
  /** Port; 0 picks a free one. Default 9000. */
  port?: number;
  /** How long shutdown waits for in-flight requests, in ms. Default 10 000. */
  drainTimeoutMs?: number;
  /** Close gracefully on SIGTERM and SIGINT, then exit. Default false (a library should not own signals). */
  handleSignals?: boolean;
  /**
   * How long an idle keep-alive connection stays open, in ms. Default 65 000: longer than
   * common load balancers' idle timeouts, so the server is never the one to close a
   * connection a client is about to reuse (Node's own default of 5 s invites such races).
   */
  keepAliveTimeoutMs?: number;
  /** Serve Prometheus metrics at GET /metrics (requests, latency, queue, memory). Default true. */
  metrics?: boolean;
}

export interface ServerHandle {
  /** The base URL clients should use, e.g. http://127.0.0.1:9000 */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /**
   * Stops accepting, reports not-ready, lets in-flight requests finish (up to the drain
   * timeout), then closes the backend. Safe to call more than once.
   */
  close(): Promise<void>;
}

/** Serves a backend over GraphPipe on Node's HTTP server; resolves once listening. */
export async function serve(backend: Backend, options: ServeOptions = {}): Promise<ServerHandle> {
  const lifecycle = new Lifecycle();
  const logger = options.logger === undefined ? createLogger() : options.logger;
  const handler = createGraphPipeHandler(backend, { ...options, logger }, lifecycle);
  const honoListener = getRequestListener(appFor(handler).fetch);
  // POSTs, the hot path, skip the framework; custom CORS middleware needs the Hono app, though.
  const postsDirect = !handler.cors.onPost;
  const metrics = options.metrics === false ? undefined : createMetrics(handler);
  const host = options.host ?? '127.0.0.1';

  const server = createServer((req, res) => {
    // In flight until the answer is written, not just until the handler returns: the drain
    // in close() ends by cutting every connection, which must not drop an answer on its way out.
    lifecycle.enter();
    res.once('close', () => lifecycle.leave());
    if (postsDirect && req.method === 'POST') servePostOnNode(handler, req, res, metrics);
    else if (metrics && req.method === 'GET' && req.url === '/metrics') metrics.serve(res);
    else void honoListener(req, res);
  });
  // Bodies are bounded by the handler's own timeout; Node's defaults would cut long inferences.
  server.requestTimeout = 0;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  // Node requires the header deadline to exceed the keep-alive one.
  server.headersTimeout = server.keepAliveTimeout + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(options.port ?? 9000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      lifecycle.ready = false;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drained = await lifecycle.drain(options.drainTimeoutMs ?? 10_000);
      if (!drained && logger)
        logger.warn({ inFlight: lifecycle.inFlight }, 'drain timeout passed; closing with requests in flight');
      server.closeAllConnections();
      await stopped;
      await backend.close?.();
      if (logger) logger.flush();
    })());

  if (options.handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (logger) logger.info({ signal }, 'shutting down');
      close().then(
        () => process.exit(0),
        (err) => {
          if (logger) logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { url, port, server, close };
}
