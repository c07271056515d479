import { GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Backend, ModelMetadata } from './backend.js';
import { asGraphPipeError } from './errors.js';
import { ConcurrencyLimiter } from './limiter.js';
import { metadataBytes, metadataJson } from './metadata.js';
import { type ModelSignature, signatureOf } from './resolve.js';
import { ModelStats } from './stats.js';

export interface ServedModelOptions {
  /** The metadata's `server` field. */
  readonly serverName: string;
  /** The name to serve it under. Default: the backend's metadata name. */
  readonly name?: string;
  /** The version to serve it as. Default: the backend's metadata version, else '1'. */
  readonly version?: string;
  /** Inferences run at once. Default: the backend's `concurrency`, else 4. */
  readonly concurrency?: number;
  /** Requests that may wait for a slot before 503. Default 64. */
  readonly maxQueue?: number;
}

/** What an inference needs besides its inputs: the request's config and a way to learn it was abandoned. */
export interface RunContext {
  readonly config: string;
  readonly signal: AbortSignal;
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
  /** Its inferences so far, whichever protocol asked for them. */
  readonly stats = new ModelStats();
  private readonly limiter: ConcurrencyLimiter;
  private holders = 0;
  private retired: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly backend: Backend,
    options: ServedModelOptions,
  ) {
    this.name = options.name ?? backend.metadata.name;
    this.version = options.version ?? backend.metadata.version ?? '1';
    // The metadata answers say the version only when the model or its server declared one.
    this.metadata = {
      ...backend.metadata,
      name: this.name,
      ...(options.version === undefined ? {} : { version: this.version }),
    };
    this.signature = signatureOf(backend);
    this.metadataBytes = metadataBytes(this.metadata, options.serverName);
    this.metadataText = JSON.stringify(metadataJson(this.metadata, options.serverName), null, 2);
    this.limiter = new ConcurrencyLimiter(options.concurrency ?? backend.concurrency ?? 4, options.maxQueue ?? 64);
  }

  /** Inferences running and waiting now. */
  get running(): number {
    return this.limiter.running;
  }
  get queued(): number {
    return this.limiter.queued;
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
   * Runs the backend once a slot is free and returns the requested outputs in order. Inputs must
   * already be checked against the signature (resolveRequest).
   */
  async infer(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    context: RunContext,
  ): Promise<Tensor[]> {
    const { stats } = this;
    const asked = performance.now();
    let started: number;
    let outputs: Readonly<Record<string, Tensor>>;
    try {
      await this.limiter.acquire(context);
      started = performance.now();
      stats.queued(started - asked);
    } catch (err) {
      stats.failed(performance.now() - asked);
      throw err;
    }
    try {
      outputs = await this.backend.infer(inputs, outputNames, context);
    } catch (err) {
      stats.failed(performance.now() - asked);
      // A backend may throw anything; callers get a GraphPipeError whatever it was.
      throw asGraphPipeError(err);
    } finally {
      this.limiter.release();
    }
    const done = performance.now();
    let picked: Tensor[];
    try {
      picked = pick(outputs, outputNames);
    } catch (err) {
      stats.failed(done - asked);
      throw err;
    }
    stats.succeeded(done - asked, done - started, performance.timeOrigin + done);
    return picked;
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
