import {
  byteLengthOf,
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  decodeRequest,
  encodeInferResponseChunks,
  GraphPipeError,
  type Tensor,
} from '@graphpipe/protocol';
import type { Logger } from 'pino';
import type { Backend } from './backend.js';
import { BodyCollector, type BodyLimits } from './body.js';
import { ByteBudget } from './budget.js';
import { type CorsOptions, type CorsSetup, corsSetup } from './cors.js';
import { asGraphPipeError } from './errors.js';
import { Lifecycle } from './lifecycle.js';
import { ConcurrencyLimiter } from './limiter.js';
import { createLogger } from './logger.js';
import { metadataBytes, metadataJson, SERVER_NAME } from './metadata.js';
import { resolveRequest, signatureOf } from './resolve.js';

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
}

export const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024;

/** One POST as a runtime sees it: how to read its body, and a signal for the caller leaving. */
export interface Exchange {
  readonly contentLength: string | null | undefined;
  /** Set by the handler once the body is decoded, for logs and metrics. */
  kind?: 'infer' | 'metadata';
  /** Fills `collector` with the body; rejects with 408 after `limits.timeoutMs`. */
  readBody(collector: BodyCollector, limits: BodyLimits): Promise<Uint8Array>;
  /** Aborted when the caller goes away. */
  readonly signal: AbortSignal;
}

/** A 200 answer as the encoder's chunks: header bytes and the tensors' own memory, unjoined. */
export interface Answer {
  readonly chunks: readonly Uint8Array[];
  readonly length: number;
}

/**
 * GraphPipe's request handling, free of any HTTP framework: the Hono app and the Node fast
 * path both call `answer` for a POST. Errors are thrown as GraphPipeErrors, for the caller to
 * turn into a status and a one-line message.
 */
export interface GraphPipeHandler {
  answer(exchange: Exchange): Promise<Answer>;
  /** Inferences running and waiting, and request body bytes held, right now. */
  load(): { readonly running: number; readonly queued: number; readonly bytesInFlight: number };
  /** The served model's name. */
  readonly modelName: string;
  /** The GET / body: metadata as the original Go server's JSON. */
  readonly metadataText: string;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger | false;
  readonly cors: CorsSetup;
}

export function createGraphPipeHandler(
  backend: Backend,
  options: GraphPipeAppOptions = {},
  lifecycle = new Lifecycle(),
): GraphPipeHandler {
  const server = options.serverName ?? SERVER_NAME;
  const signature = signatureOf(backend);
  const metadata = metadataBytes(backend.metadata, server);
  const metadataAnswer: Answer = { chunks: [metadata], length: metadata.length };
  const bodyLimits = {
    maxBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    timeoutMs: options.bodyTimeoutMs ?? 30_000,
  };
  const decodeLimits = { ...DEFAULT_DECODE_LIMITS, ...options.decodeLimits };
  const limiter = new ConcurrencyLimiter(options.concurrency ?? backend.concurrency ?? 4, options.maxQueue ?? 64);
  const budget = new ByteBudget(options.maxInflightBytes ?? 4 * bodyLimits.maxBytes);

  async function answer(exchange: Exchange): Promise<Answer> {
    if (!lifecycle.ready) {
      throw new GraphPipeError('UNAVAILABLE', 'server is shutting down; retry on another instance', { retryAfter: 1 });
    }
    lifecycle.enter();
    let collector: BodyCollector | undefined;
    try {
      collector = new BodyCollector(exchange.contentLength, bodyLimits, budget);
      const req = decodeRequest(await exchange.readBody(collector, bodyLimits), decodeLimits);
      exchange.kind = req.kind;
      if (req.kind === 'metadata') return metadataAnswer;
      const { inputs, outputNames } = resolveRequest(req, signature);
      await limiter.acquire(exchange);
      let outputs: Readonly<Record<string, Tensor>>;
      try {
        // The signal is made only if the backend reads it: most answers come before it is needed.
        outputs = await backend.infer(inputs, outputNames, {
          config: req.config,
          get signal() {
            return exchange.signal;
          },
        });
      } catch (err) {
        // A backend may throw anything; callers get a GraphPipeError whatever it was.
        throw asGraphPipeError(err);
      } finally {
        limiter.release();
      }
      const chunks = encodeInferResponseChunks({ outputs: pick(outputs, outputNames) });
      return { chunks, length: byteLengthOf(chunks) };
    } finally {
      if (collector) budget.give(collector.held);
      lifecycle.leave();
    }
  }

  return {
    answer,
    load: () => ({ running: limiter.running, queued: limiter.queued, bytesInFlight: budget.inUse }),
    modelName: backend.metadata.name,
    metadataText: JSON.stringify(metadataJson(backend.metadata, server), null, 2),
    lifecycle,
    logger: options.logger === undefined ? createLogger() : options.logger,
    cors: corsSetup(options.cors),
  };
}

/** The requested outputs in request order; a backend that omits one is at fault (500). */
function pick(outputs: Readonly<Record<string, Tensor>>, names: readonly string[]): Tensor[] {
  return names.map((name) => {
    const t = outputs[name];
    if (!t) throw new GraphPipeError('INTERNAL', `the model returned no output "${name}"`);
    return t;
  });
}
