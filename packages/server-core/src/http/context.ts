import { type GraphPipeError, grpcTimeoutMs, TIMEOUT_HEADER } from '@graphpipe/protocol';
import type { Context } from '@opentelemetry/api';
import type { InferContext } from '../backend.js';
import type { ServedModel } from '../models/model.js';
import type { RequestTrace } from '../tracing/request-trace.js';
import { type TracedRun, traceBodyRead } from '../tracing/spans.js';
import type { Access } from './auth.js';
import { BodyCollector, type BodyLimits, type BodyPlacement } from './body.js';
import type { BodyPool } from './body-pool.js';
import type { ByteBudget } from './budget.js';
import { type Coding, requestCoding } from './encoding.js';
import type { Exchange, Reply } from './exchange.js';

/** One endpoint: how it answers, how its errors look, and whether it answers during shutdown. */
export interface Route {
  /** For logs and metrics: which protocol the endpoint speaks. */
  readonly protocol: string;
  /** Health and metrics keep answering while the server drains; everything else gets 503. */
  readonly duringShutdown?: boolean;
  /** Who may call it (see auth.ts). Default 'models': the inference token, when one is set. */
  readonly access?: Access;
  handle(ctx: RequestContext): Reply | Promise<Reply>;
  /** The protocol's error form; default: one text line (see errors.ts). */
  errorReply?(error: GraphPipeError): Reply;
  /**
   * For a route that answers only some requests to its path (those that ask for HTML, say):
   * whether it answers this one. The others go to the next route that matches.
   */
  accepts?(request: RouteRequest): boolean;
}

/** What a route's `accepts` may look at. */
export type RouteRequest = Pick<Exchange, 'method' | 'path' | 'header'>;

/** What the core shares with every request's context. */
export interface ContextShared {
  readonly bodyLimits: BodyLimits;
  readonly budget: ByteBudget;
  /** Memory for bodies, reused across requests. */
  readonly pool: BodyPool;
  /** The server's default time for an inference, in ms, when the caller gives none. */
  readonly requestTimeoutMs?: number | undefined;
}

/**
 * One request on its way through the core: the exchange, the route's parameters, the body's
 * claim on the byte budget, and what logs and metrics say about it.
 */
export class RequestContext {
  /** What the request turned out to be, for logs and metrics (e.g. 'infer', 'metadata'). */
  kind = '';
  /** The model (and version) it ran on, when it ran on one. */
  model: string | undefined;
  version: string | undefined;
  /** Set once a reply is on its way; a later one is dropped. */
  replied = false;
  /** The coding the body came in, once read compressed: a caller that compresses may have binary answers compressed. */
  bodyCoding: Coding | undefined;
  /**
   * When the caller stops waiting for its inference, as a performance.now() time: set by a
   * protocol that carries one (v2's `timeout` parameter, a gRPC call's deadline). Left unset, a
   * run takes it from the grpc-timeout header, else from the server's requestTimeoutMs, counted
   * from when the request reaches its model.
   */
  deadline: number | undefined;
  /** Its span and trace context, when an OpenTelemetry SDK is registered (see tracing/). */
  trace: RequestTrace | undefined;
  private collector: BodyCollector | undefined;
  private held: ServedModel | undefined;

  constructor(
    readonly exchange: Exchange,
    /** The endpoint that answers it. */
    readonly route: Route,
    readonly params: Readonly<Record<string, string>>,
    private readonly shared: ContextShared,
  ) {}

  get signal(): AbortSignal {
    return this.exchange.signal;
  }

  /**
   * The whole body, within the size and time limits, its bytes taken from the shared budget
   * until the reply has been sent. It is valid only until then: its memory is reused for later
   * requests (see Backend.infer). `placement`: in shared memory (see Backend.sharedInputs), with
   * a given offset 8-aligned (where binary tensors start after a header). A gzip or deflate body
   * (Content-Encoding) is inflated, its limits counted in inflated bytes.
   */
  readBody(placement: BodyPlacement = {}): Promise<Uint8Array> {
    const { bodyLimits, budget, pool } = this.shared;
    const { exchange } = this;
    let coding: ReturnType<typeof requestCoding>;
    try {
      coding = requestCoding(exchange.header('content-encoding'));
    } catch (err) {
      return Promise.reject(err);
    }
    const collector = new BodyCollector(
      // A compressed body's Content-Length is not the size it inflates to: the collector counts as it inflates.
      coding ? undefined : exchange.header('content-length'),
      bodyLimits,
      budget,
      pool,
      placement,
    );
    this.collector = collector;
    this.bodyCoding = coding;
    const read = exchange.readBody(collector, bodyLimits, coding);
    // No closure here: this runs for every request, traced or not.
    return this.trace ? traceBodyRead(this.trace, read) : read;
  }

  /**
   * The model version this request runs on, held from now on: it stays in service for this
   * request until the reply is out, even if it is replaced meanwhile.
   */
  use(model: ServedModel): ServedModel {
    model.acquire();
    this.held?.release();
    this.held = model;
    this.model = model.name;
    this.version = model.version;
    return model;
  }

  /** What a model run is told of this request: its config, its deadline, and the signal, made only if read. */
  run(config: string): InferContext {
    return new RequestRun(this, config, this.deadline ?? this.defaultDeadline());
  }

  private defaultDeadline(): number | undefined {
    const header = this.exchange.header(TIMEOUT_HEADER);
    const ms = header === undefined ? this.shared.requestTimeoutMs : grpcTimeoutMs(header);
    return ms === undefined ? undefined : performance.now() + ms;
  }

  /** Once the reply is out: gives the body's memory back for reuse and releases the model. */
  release(): void {
    this.collector?.release();
    this.collector = undefined;
    this.held?.release();
    this.held = undefined;
  }
}

/** A class rather than an object literal with a getter: cheaper to make once per request. */
class RequestRun implements TracedRun {
  readonly traceContext: Context | undefined;

  constructor(
    private readonly request: RequestContext,
    readonly config: string,
    readonly deadline: number | undefined,
  ) {
    this.traceContext = request.trace?.context;
  }

  // Made only when something reads it: most answers come before it is needed.
  get signal(): AbortSignal {
    return this.request.signal;
  }
}
