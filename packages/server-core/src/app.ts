import { byteLengthOf, DEFAULT_DECODE_LIMITS, type DecodeLimits, decodeRequest, encodeInferResponseChunks, GraphPipeError, type Tensor } from '@graphpipe/protocol';
import { Hono } from 'hono';
import type { Logger } from 'pino';
import type { Backend } from './backend.js';
import { BodyCollector } from './body.js';
import { ByteBudget } from './budget.js';
import { type CorsOptions, corsSetup } from './cors.js';
import { asGraphPipeError, errorResponse } from './errors.js';
import { Lifecycle } from './lifecycle.js';
import { ConcurrencyLimiter } from './limiter.js';
import { createLogger } from './logger.js';
import { metadataBytes, metadataJson, SERVER_NAME } from './metadata.js';
import { resolveRequest, signatureOf } from './resolve.js';
import { type RuntimeIO, webIO } from './runtime.js';

export interface GraphPipeAppOptions {
  /** Largest request body accepted, in bytes (413 beyond). Default 256 MiB. */
  maxBodyBytes?: number;
  /** Time allowed for a request body to arrive, in ms (408 after). Default 30 000. */
  bodyTimeoutMs?: number;
  /** Decoder bounds: elements per tensor, tensors per request, rank. */
  decodeLimits?: Partial<DecodeLimits>;
  /** Inferences run at once. Default: the backend's `concurrency`, else 4. */
  concurrency?: number;
  /** Requests that may wait for a free slot before the server answers 503. Default 64. */
  maxQueue?: number;
  /** Request body bytes held at once across all requests (503 beyond). Default 4 × maxBodyBytes. */
  maxInflightBytes?: number;
  /** CORS for browser callers: true (any origin, the default), false, or hono's cors options. */
  cors?: boolean | CorsOptions;
  /** A pino logger for one line per request, or false for none. Default: JSON lines on stdout. */
  logger?: Logger | false;
  /** The `Server` field of the metadata. Default 'graphpipe-ts'. */
  serverName?: string;
  /** Shared with a runtime adapter that drains the server; created when absent. */
  lifecycle?: Lifecycle;
  /** Body reading and answer writing; runtime adapters pass faster I/O of their own. Default: web streams. */
  io?: RuntimeIO;
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024;
const OCTETS = 'application/octet-stream';

/**
 * A Hono app that serves one backend over GraphPipe: POST a Request buffer (to any path, as
 * the original clients do), GET / for JSON metadata, and health endpoints. It knows only
 * web-standard Request/Response; see `serve` in `@graphpipe/server-core/node` for Node.
 */
export function createGraphPipeApp(backend: Backend, options: GraphPipeAppOptions = {}): Hono {
  const server = options.serverName ?? SERVER_NAME;
  const signature = signatureOf(backend);
  const metadata = metadataBytes(backend.metadata, server);
  const metadataText = JSON.stringify(metadataJson(backend.metadata, server), null, 2);
  const bodyLimits = { maxBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, timeoutMs: options.bodyTimeoutMs ?? 30_000 };
  const decodeLimits = { ...DEFAULT_DECODE_LIMITS, ...options.decodeLimits };
  const limiter = new ConcurrencyLimiter(options.concurrency ?? backend.concurrency ?? 4, options.maxQueue ?? 64);
  const budget = new ByteBudget(options.maxInflightBytes ?? 4 * bodyLimits.maxBytes);
  const lifecycle = options.lifecycle ?? new Lifecycle();
  const logger = options.logger === undefined ? createLogger() : options.logger;
  const corsing = corsSetup(options.cors);
  const io = options.io ?? webIO;
  // Custom CORS middleware adds its headers to a Response, so it needs answers made as one.
  const send = corsing.onPost ? webIO.send : io.send;
  // A fresh object per answer: @hono/node-server writes Content-Length into the headers it is
  // given, so a shared one would give every later answer the first one's length.
  const binaryHeaders = () => ({ 'content-type': OCTETS, ...corsing.headers });

  const app = new Hono();
  if (logger) {
    app.use(async (c, next) => {
      const start = performance.now();
      await next();
      logger.info({ method: c.req.method, path: c.req.path, status: c.res.status, ms: +(performance.now() - start).toFixed(2) });
    });
  }
  if (corsing.middleware) {
    if (corsing.onPost) app.use(corsing.middleware);
    else app.on(['GET', 'OPTIONS'], '*', corsing.middleware);
  }

  const ok = () => new Response('ok\n', { headers: { 'content-type': 'text/plain' } });
  const ready = () => (lifecycle.ready ? ok() : new Response('not ready\n', { status: 503, headers: { 'content-type': 'text/plain' } }));
  app.get('/control/is_alive', ok);
  app.get('/healthz', ok);
  app.get('/livez', ok);
  app.get('/control/is_ready', ready);
  app.get('/readyz', ready);
  app.get('/', () => new Response(metadataText, { headers: { 'content-type': 'application/json' } }));

  app.post('*', async (c) => {
    if (!lifecycle.ready) {
      throw new GraphPipeError('UNAVAILABLE', 'server is shutting down; retry on another instance', { retryAfter: 1 });
    }
    lifecycle.enter();
    let collector: BodyCollector | undefined;
    try {
      collector = new BodyCollector(c.req.header('content-length'), bodyLimits, budget);
      const req = decodeRequest(await io.readBody(c, collector, bodyLimits), decodeLimits);
      if (req.kind === 'metadata') return send(c, [metadata], metadata.length, binaryHeaders());
      const { inputs, outputNames } = resolveRequest(req, signature);
      const signal = io.signal(c);
      await limiter.acquire(signal);
      let outputs: Readonly<Record<string, Tensor>>;
      try {
        outputs = await backend.infer(inputs, outputNames, { config: req.config, signal });
      } catch (err) {
        // Hono hands only Error instances to onError, and a backend may throw anything.
        throw asGraphPipeError(err);
      } finally {
        limiter.release();
      }
      // Chunks: header bytes plus the outputs' own memory, so large answers are never copied.
      const chunks = encodeInferResponseChunks({ outputs: pick(outputs, outputNames) });
      return send(c, chunks, byteLengthOf(chunks), binaryHeaders());
    } finally {
      if (collector) budget.give(collector.held);
      lifecycle.leave();
    }
  });

  app.notFound((c) => errorResponse(new GraphPipeError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    const error = asGraphPipeError(err);
    if (logger && error.status >= 500) logger.error({ err, path: c.req.path }, error.message);
    // Browser callers need the CORS header to read why their request failed.
    return errorResponse(error, corsing.headers);
  });
  return app;
}

/** The requested outputs in request order; a backend that omits one is at fault (500). */
function pick(outputs: Readonly<Record<string, Tensor>>, names: readonly string[]): Tensor[] {
  return names.map((name) => {
    const t = outputs[name];
    if (!t) throw new GraphPipeError('INTERNAL', `the model returned no output "${name}"`);
    return t;
  });
}
