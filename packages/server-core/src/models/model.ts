import { checkModelName, GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Backend, InferContext, ModelMetadata } from '../backend.js';
import { asGraphPipeError } from '../http/errors.js';
import { endWhenSettled, noteRows, startSpan, traceContextOf, traceRun } from '../tracing/spans.js';
import { Batcher, type BatchingOptions } from './batcher.js';
import { RequestTimeout, runBy } from './deadline.js';
import { checkExamples } from './examples.js';
import { ConcurrencyLimiter } from './limiter.js';
import type { ModelLimits } from './limits.js';
import { metadataBytes, metadataJson } from './metadata.js';
import { type ModelSignature, signatureOf } from './resolve.js';
import { RowCache } from './row-cache.js';
import { concatRows, haveRows, ownRows, rowsOf, sliceRows } from './rows.js';
import { ModelStats } from './stats.js';
import { warmUpInputs } from './warm-up.js';

/** What a refused name's error adds: where a name is given. */
const NAME_IT = "serve it under another name (the CLI's --name, or the backend's name option)";

export interface ServedModelOptions extends ModelLimits {
  /** The metadata's `server` field. */
  readonly serverName: string;
  /** The name to serve it under. Default: the backend's metadata name. */
  readonly name?: string;
  /** The version to serve it as. Default: the backend's metadata version, else '1'. */
  readonly version?: string;
  /** Told about batches and cache lookups (metrics). */
  readonly events?: ModelEvents;
}

/** What a served model reports as it runs, for metrics. */
export interface ModelEvents {
  /** A batch ran: how many requests and rows it joined, and how long each request waited. */
  batched?(model: ServedModel, requests: number, rows: number, waitedSeconds: readonly number[]): void;
  /** A request's rows were looked up in the row cache. */
  cacheLookup?(model: ServedModel, hits: number, misses: number): void;
  /** A request's deadline passed before the model answered it. */
  timedOut?(model: ServedModel): void;
}

/**
 * One version of a model as the server serves it: its declaration indexed for lookups, its
 * metadata answers encoded once, the limit on how many of its inferences run at once, and how
 * many requests hold it. Taken out of service, it closes after the last of them.
 */
export class ServedModel {
  readonly name: string;
  readonly version: string;
  readonly metadata: ModelMetadata;
  readonly signature: ModelSignature;
  /** GraphPipe's MetadataResponse bytes. */
  readonly metadataBytes: Uint8Array;
  /** The GET metadata: the original Go server's indented JSON. */
  readonly metadataText: string;
  /** Inferences it runs at once. */
  readonly concurrency: number;
  /** Its dynamic batching, when on. */
  readonly batching: BatchingOptions | undefined;
  /** Warm-up rounds it runs before it is served (see warmUp). */
  readonly warmup: number;
  /** Its inferences so far, whichever protocol asked for them. */
  readonly stats = new ModelStats();
  private readonly limiter: ConcurrencyLimiter;
  private readonly batcher: Batcher | undefined;
  private readonly cache: RowCache | undefined;
  private readonly events: ModelEvents | undefined;
  private holders = 0;
  private retired: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly backend: Backend,
    options: ServedModelOptions,
  ) {
    // Refused here, when it is served, rather than with a 400 on every request that names it.
    this.name = checkModelName(options.name ?? backend.metadata.name, NAME_IT);
    this.version = options.version ?? backend.metadata.version ?? '1';
    // The metadata answers say the version only when the model or its server declared one.
    this.metadata = {
      ...backend.metadata,
      name: this.name,
      ...(options.version === undefined ? {} : { version: this.version }),
    };
    this.signature = signatureOf(backend);
    checkExamples(this.metadata, this.signature.inputs);
    this.metadataBytes = metadataBytes(this.metadata, options.serverName);
    this.metadataText = JSON.stringify(metadataJson(this.metadata, options.serverName), null, 2);
    const maxQueue = options.maxQueue ?? 64;
    this.concurrency = options.concurrency ?? backend.concurrency ?? 4;
    this.limiter = new ConcurrencyLimiter(this.concurrency, maxQueue);
    this.events = options.events;
    const batching = options.batching;
    this.batching = batching;
    this.warmup = options.warmup ?? 0;
    if (!(Number.isSafeInteger(this.warmup) && this.warmup >= 0))
      throw new RangeError(`warmup must be a whole number of rounds (0 or more), got ${this.warmup}`);
    if (batching) {
      this.batcher = new Batcher(
        (i, o, c, rows) => this.runOnce(i, o, c, rows),
        batching,
        maxQueue,
        (requests, rows, waited) => this.events?.batched?.(this, requests, rows, waited),
      );
    }
    if (options.cache) this.cache = new RowCache(options.cache);
  }

  /** Inferences running and waiting now (in a batch forming, or for a free slot). */
  get running(): number {
    return this.limiter.running;
  }
  get queued(): number {
    return this.limiter.queued + (this.batcher?.queued ?? 0);
  }

  /** Bytes of answers the row cache holds (0 without one). */
  get cachedBytes(): number {
    return this.cache?.size ?? 0;
  }

  /** A request starts using this version; it calls `release` when its answer is out. */
  acquire(): this {
    this.holders++;
    return this;
  }

  release(): void {
    if (--this.holders === 0 && this.retired) this.retired();
  }

  /**
   * Takes it out of service: it closes once the requests holding it are done. Resolves when
   * closed; safe to call more than once.
   */
  retire(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.retired = resolve;
      if (this.holders === 0) resolve();
    }).then(() => this.backend.close?.());
    return this.closing;
  }

  /**
   * Runs the backend `this.warmup` rounds on the inputs warmUpInputs makes (the model's examples,
   * or inputs of its declared shapes), each round once per inference slot at once, so that every
   * instance or worker behind the slots warms up (as Triton warms each instance). Its statistics
   * do not count them. Rejects with the first failure, saying it was the warm-up.
   */
  async warmUp(): Promise<void> {
    if (this.warmup === 0) return;
    const inputs = warmUpInputs(this.metadata, this.signature, this.batching);
    const outputs = this.signature.defaultOutputs;
    const context: InferContext = { config: '', signal: new AbortController().signal };
    try {
      for (let round = 0; round < this.warmup; round++) {
        const runs = Array.from({ length: this.concurrency }, () => this.backend.infer(inputs, outputs, context));
        const results = await Promise.all(runs);
        for (const result of results) pick(result, outputs);
      }
    } catch (err) {
      throw new GraphPipeError(
        'UNAVAILABLE',
        `model "${this.name}" version ${this.version} failed its warm-up: ${asGraphPipeError(err).message}`,
        { cause: err },
      );
    }
  }

  /**
   * The requested outputs, in order: from the row cache where it has them, else from the backend
   * (in a batch with other requests when batching is on, once a slot is free). Inputs must
   * already be checked against the signature (resolveRequest). With a deadline in the context,
   * it answers by then (see runBy): a request still waiting never runs.
   */
  infer(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    context: InferContext,
  ): Promise<Tensor[]> {
    if (context.deadline === undefined) return this.inferNow(inputs, outputNames, context);
    // Held until the run itself is over: an answer at the deadline must not let the version
    // close under a run that goes on.
    this.acquire();
    return runBy(
      context.deadline,
      context,
      () => this.timedOut(),
      (bounded) => this.inferNow(inputs, outputNames, bounded),
      () => this.release(),
    );
  }

  /** The answer to a request whose deadline passed, counted. */
  private timedOut(): RequestTimeout {
    this.events?.timedOut?.(this);
    return new RequestTimeout(this.name);
  }

  private inferNow(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    context: InferContext,
  ): Promise<Tensor[]> {
    const asked = performance.now();
    // Counted once here and passed down: the cache, the batcher and the stats all need it.
    const rows = rowsOf(inputs);
    const traced = traceContextOf(context);
    if (traced) noteRows(traced, rows);
    const answer = this.cache
      ? this.inferCached(this.cache, inputs, outputNames, context, rows)
      : this.compute(inputs, outputNames, context, rows);
    return answer.then(
      (outputs) => {
        const now = performance.now();
        this.stats.answered(now - asked, rows ?? 1, now);
        return outputs;
      },
      (err: unknown) => {
        this.stats.failed(performance.now() - asked);
        throw err;
      },
    );
  }

  /** `rows`, here and below: the inputs' common first dimension (rowsOf), if they have one. */
  private compute(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    context: InferContext,
    rows: number | undefined,
  ): Promise<Tensor[]> {
    return this.batcher
      ? this.batcher.submit(inputs, outputNames, context, rows)
      : this.runOnce(inputs, outputNames, context, rows);
  }

  /** Rows found in the cache are not run; the rest run as one request, and are kept. */
  private async inferCached(
    cache: RowCache,
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    context: InferContext,
    rows: number | undefined,
  ): Promise<Tensor[]> {
    if (!rows) return this.compute(inputs, outputNames, context, rows);
    const keys = await cache.keys(inputs, outputNames, context.config, rows);
    const found = keys.map((key) => cache.get(key));
    const missing: number[] = [];
    found.forEach((outputs, row) => outputs === undefined && missing.push(row));
    this.events?.cacheLookup?.(this, rows - missing.length, missing.length);
    if (missing.length === 0) return outputNames.map((_, o) => concatRows(found.map((row) => row![o]!)));
    const subset: Record<string, Tensor> = Object.create(null);
    for (const [name, t] of Object.entries(inputs)) {
      subset[name] = missing.length === rows ? t : concatRows(missing.map((row) => sliceRows(t, row, row + 1)));
    }
    const computed = await this.compute(subset, outputNames, context, missing.length);
    if (!haveRows(computed, missing.length)) {
      throw new GraphPipeError(
        'INTERNAL',
        `model "${this.name}" does not answer one row per input row; turn its cache off`,
      );
    }
    missing.forEach((row, j) => {
      const outputs = computed.map((t) => ownRows(sliceRows(t, j, j + 1)));
      found[row] = outputs;
      cache.set(keys[row]!, outputs);
    });
    if (missing.length === rows) return computed;
    return outputNames.map((_, o) => concatRows(found.map((row) => row![o]!)));
  }

  /** One run of the backend, once a slot is free. */
  private runOnce(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    context: InferContext,
    rows: number | undefined,
  ): Promise<Tensor[]> {
    // A free slot is taken at once: most runs need not wait, so they need no promise for it.
    if (this.limiter.tryAcquire()) {
      this.stats.queued(0);
      return this.runHolding(inputs, outputNames, context, rows);
    }
    const asked = performance.now();
    const traced = traceContextOf(context);
    const slot = this.limiter.acquire(context);
    return (traced ? endWhenSettled(startSpan(traced, 'queue wait'), slot) : slot).then(() => {
      this.stats.queued(performance.now() - asked);
      return this.runHolding(inputs, outputNames, context, rows);
    });
  }

  /** Runs the backend in a slot already taken, and gives the slot back. */
  private runHolding(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    context: InferContext,
    rows: number | undefined,
  ): Promise<Tensor[]> {
    const started = performance.now();
    let running: Promise<Readonly<Record<string, Tensor>>>;
    try {
      // A slot freed by a run that blocked the event loop goes to the next request before its
      // deadline's timer has had a turn to fire: one whose deadline has passed must not run.
      if (context.deadline !== undefined && started >= context.deadline) throw this.timedOut();
      const traced = traceContextOf(context);
      running = traced
        ? traceRun(traced, this, rows, inputs, outputNames, context)
        : Promise.resolve(this.backend.infer(inputs, outputNames, context));
    } catch (err) {
      running = Promise.reject(err);
    }
    // One reaction for either outcome (no async frame): this runs for every request.
    return running.then(
      (outputs) => {
        this.limiter.release();
        const picked = pick(outputs, outputNames);
        // A run without a batch dimension is a batch of one, as Triton counts a model that has none.
        this.stats.ran(performance.now() - started, rows ?? 1);
        return picked;
      },
      (err: unknown) => {
        this.limiter.release();
        // A backend may throw anything; callers get a GraphPipeError whatever it was.
        throw asGraphPipeError(err);
      },
    );
  }
}

/** The requested outputs in request order; a backend that omits one is at fault (500). */
function pick(outputs: Readonly<Record<string, Tensor>>, names: readonly string[]): Tensor[] {
  return names.map((name) => {
    const t = Object.hasOwn(outputs, name) ? outputs[name] : undefined;
    if (!t) throw new GraphPipeError('INTERNAL', `the model returned no output "${name}"`);
    return t;
  });
}
