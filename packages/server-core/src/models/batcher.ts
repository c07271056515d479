import { GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Context, Span } from '@opentelemetry/api';
import type { InferContext } from '../backend.js';
import { endWhenSettled, startBatchSpan, startSpan, traceContextOf, withTraceContext } from '../tracing/spans.js';
import { concatRows, haveRows, sliceRows } from './rows.js';

export interface BatchingOptions {
  /** Most rows one run of the model takes; requests join a batch until it is full. */
  readonly maxBatchSize: number;
  /** Longest a request waits for others to join its batch, in ms. */
  readonly maxDelayMs: number;
}

/**
 * Runs the model once on the given inputs (the model's concurrency limit applies per run);
 * `rows` is their common first dimension (rowsOf), if they have one.
 */
export type RunOnce = (
  inputs: Readonly<Record<string, Tensor>>,
  outputNames: readonly string[],
  context: InferContext,
  rows: number | undefined,
) => Promise<Tensor[]>;

/** What a batch run reports: how many requests and rows it joined, and how long each waited. */
export type BatchObserver = (requests: number, rows: number, waitedSeconds: readonly number[]) => void;

interface Entry {
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly rows: number;
  readonly context: InferContext;
  readonly queued: number;
  readonly resolve: (outputs: Tensor[]) => void;
  readonly reject: (err: unknown) => void;
  cancel?: () => void;
  /** Its queue wait span, when traced: ends as its batch runs (or it leaves). */
  waiting?: Span;
}

interface Group {
  readonly key: string;
  readonly outputNames: readonly string[];
  readonly config: string;
  readonly entries: Entry[];
  rows: number;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Dynamic batching: requests for the same outputs with the same config, whose inputs share a
 * dtype and row shape, are joined along the first dimension, run once, and split back, each
 * caller getting exactly its rows. A batch runs when it is full or when its first request has
 * waited `maxDelayMs`. If a batch run fails, its requests run one by one, so a bad request
 * fails alone; a caller that leaves while waiting is taken out of its batch.
 */
export class Batcher {
  private readonly groups = new Map<string, Group>();
  private waiting = 0;
  /** Most requests that may wait for their batch at once. */
  private readonly maxWaiting: number;

  constructor(
    private readonly run: RunOnce,
    private readonly options: BatchingOptions,
    maxQueue: number,
    private readonly observe?: BatchObserver,
  ) {
    if (!(options.maxBatchSize >= 1))
      throw new RangeError(`maxBatchSize must be at least 1, got ${options.maxBatchSize}`);
    if (!(options.maxDelayMs >= 0)) throw new RangeError(`maxDelayMs must be 0 or more, got ${options.maxDelayMs}`);
    // Waiting for a batch is what batching is, so a full batch (at most maxBatchSize requests of
    // one row) must be able to form even when maxQueue lets nobody wait for a slot (0 is valid).
    this.maxWaiting = Math.max(maxQueue, options.maxBatchSize);
  }

  /** Requests waiting for their batch to run. */
  get queued(): number {
    return this.waiting;
  }

  /** `rows`: the inputs' common first dimension (rowsOf), if they have one. */
  submit(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    context: InferContext,
    rows: number | undefined,
  ): Promise<Tensor[]> {
    // Nothing to join it with: inputs without a shared first dimension, or a batch on its own.
    if (rows === undefined || rows === 0 || rows >= this.options.maxBatchSize)
      return this.run(inputs, outputNames, context, rows);
    if (this.waiting >= this.maxWaiting) {
      return Promise.reject(
        new GraphPipeError('UNAVAILABLE', `server busy: ${this.waiting} requests wait for a batch; retry later`, {
          retryAfter: 1,
        }),
      );
    }
    const key = batchKey(inputs, outputNames, context.config);
    return new Promise<Tensor[]>((resolve, reject) => {
      const entry: Entry = { inputs, rows, context, queued: performance.now(), resolve, reject };
      const traced = traceContextOf(context);
      if (traced) entry.waiting = startSpan(traced, 'queue wait');
      let group = this.groups.get(key);
      if (group && group.rows + rows > this.options.maxBatchSize) {
        this.flush(group);
        group = undefined;
      }
      if (!group) {
        group = { key, outputNames, config: context.config, entries: [], rows: 0 };
        this.groups.set(key, group);
        const g = group;
        g.timer = setTimeout(() => this.flush(g), this.options.maxDelayMs);
      }
      group.entries.push(entry);
      group.rows += rows;
      this.waiting++;
      this.watchAbort(group, entry);
      if (group.rows >= this.options.maxBatchSize) this.flush(group);
    });
  }

  /** A caller that leaves while its batch waits is taken out of it. */
  private watchAbort(group: Group, entry: Entry): void {
    const { signal } = entry.context;
    if (signal.aborted) {
      this.leave(group, entry, signal.reason);
      return;
    }
    const onAbort = () => this.leave(group, entry, signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    entry.cancel = () => signal.removeEventListener('abort', onAbort);
  }

  private leave(group: Group, entry: Entry, reason: unknown): void {
    const i = group.entries.indexOf(entry);
    if (i < 0 || this.groups.get(group.key) !== group) return;
    group.entries.splice(i, 1);
    group.rows -= entry.rows;
    this.waiting--;
    entry.cancel?.();
    entry.waiting?.end();
    entry.reject(new GraphPipeError('ABORTED', 'request aborted while waiting for its batch', { cause: reason }));
    if (group.entries.length === 0) {
      clearTimeout(group.timer);
      this.groups.delete(group.key);
    }
  }

  private flush(group: Group): void {
    if (this.groups.get(group.key) !== group) return;
    this.groups.delete(group.key);
    clearTimeout(group.timer);
    const { entries } = group;
    this.waiting -= entries.length;
    for (const e of entries) {
      e.cancel?.();
      e.waiting?.end();
    }
    if (entries.length === 0) return;
    const traced = startBatchSpan(entries, group.rows);
    if (!traced) void this.runBatch(group, entries);
    else void endWhenSettled(traced.span, this.runBatch(group, entries, traced.context));
  }

  /** `traced`: the batch span's context, when its requests are traced. */
  private async runBatch(group: Group, entries: readonly Entry[], traced?: Context): Promise<void> {
    const started = performance.now();
    this.observe?.(
      entries.length,
      group.rows,
      entries.map((e) => (started - e.queued) / 1000),
    );
    if (entries.length === 1) return this.runAlone(entries[0]!, group.outputNames, traced);
    const names = Object.keys(entries[0]!.inputs);
    const inputs: Record<string, Tensor> = Object.create(null);
    for (const name of names) inputs[name] = concatRows(entries.map((e) => e.inputs[name]!));
    let outputs: Tensor[];
    const context = batchContext(group.config, entries);
    try {
      const run = traced ? withTraceContext(context, traced) : context;
      outputs = await this.run(inputs, group.outputNames, run, group.rows);
      if (!haveRows(outputs, group.rows)) {
        throw new GraphPipeError('INTERNAL', 'an output of the batch does not have one row per input row');
      }
    } catch (err) {
      // Overload or a shutdown concerns every request alike: no point running them one by one.
      const code = (err as GraphPipeError).code;
      if (code === 'UNAVAILABLE' || code === 'ABORTED') {
        for (const e of entries) e.reject(err);
        return;
      }
      // Which request made the batch fail is unknown: each runs alone, so only its own fails.
      for (const e of entries) void this.runAlone(e, group.outputNames);
      return;
    } finally {
      context.settled();
    }
    let at = 0;
    for (const e of entries) {
      e.resolve(outputs.map((o) => sliceRows(o, at, at + e.rows)));
      at += e.rows;
    }
  }

  private async runAlone(entry: Entry, outputNames: readonly string[], traced?: Context): Promise<void> {
    const context = traced ? withTraceContext(entry.context, traced) : entry.context;
    try {
      entry.resolve(await this.run(entry.inputs, outputNames, context, entry.rows));
    } catch (err) {
      entry.reject(err);
    }
  }
}

/** Requests join one batch only when their outputs, config and every input's dtype and row shape agree. */
function batchKey(inputs: Readonly<Record<string, Tensor>>, outputNames: readonly string[], config: string): string {
  let key = `${outputNames.join('\u0000')}\u0001${config}`;
  for (const name of Object.keys(inputs).sort()) {
    const t = inputs[name]!;
    key += `\u0001${name}\u0000${t.dtype}\u0000${t.shape.slice(1).join(',')}`;
  }
  return key;
}

/**
 * The batch's context: its config, and a signal that aborts only when every caller has left.
 * The signal is made when first read; callers who left before that count as gone already.
 * `settled` takes its listeners off the callers' signals once the run is over.
 */
function batchContext(config: string, entries: readonly Entry[]): InferContext & { settled(): void } {
  let controller: AbortController | undefined;
  // Each caller's signal once, though several requests may share one.
  let listening = new Set<AbortSignal>();
  const allGone = () => controller!.abort(new GraphPipeError('ABORTED', 'every caller of the batch went away'));
  let left = 0;
  const onAbort = () => {
    if (--left === 0) allGone();
  };
  return {
    config,
    get signal() {
      if (!controller) {
        controller = new AbortController();
        for (const e of entries) if (!e.context.signal.aborted) listening.add(e.context.signal);
        left = listening.size;
        if (left === 0) allGone();
        for (const s of listening) s.addEventListener('abort', onAbort, { once: true });
      }
      return controller.signal;
    },
    settled() {
      for (const s of listening) s.removeEventListener('abort', onAbort);
      listening = new Set();
    },
  };
}
