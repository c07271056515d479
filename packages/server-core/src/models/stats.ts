/**
 * Per model version: how many requests were answered and failed, how many rows they held, how
 * often and how long the backend ran and runs waited, as the Open Inference Protocol's
 * statistics extension reports them. Counting costs a few clock reads per request.
 */

/** A count and the time it took in all, in milliseconds (reported in nanoseconds). */
export interface DurationTotal {
  count: number;
  ms: number;
}

export class ModelStats {
  /** Requests answered: from the model being asked to its outputs (waiting included). */
  readonly success: DurationTotal = { count: 0, ms: 0 };
  /** Requests that failed, waiting or in the model. */
  readonly fail: DurationTotal = { count: 0, ms: 0 };
  /** Time each run of the backend waited for a free slot (see ConcurrencyLimiter). */
  readonly queue: DurationTotal = { count: 0, ms: 0 };
  /** Runs of the backend that answered, and their time in it. With batching one run answers several requests. */
  readonly compute: DurationTotal = { count: 0, ms: 0 };
  /** Every run of the backend, by its rows (batched dynamically or not). */
  readonly batches = new Map<number, DurationTotal>();
  /** Rows answered: a request of 8 rows counts 8 (one without a batch dimension, 1). */
  inferences = 0;
  /** When the last request was answered, in ms since the epoch (0: never). */
  lastInference = 0;

  /** `now`: performance.now() when it was answered, which the caller has just read for `ms`. */
  answered(ms: number, rows: number, now: number): void {
    this.success.count++;
    this.success.ms += ms;
    this.inferences += rows;
    this.lastInference = performance.timeOrigin + now;
  }

  failed(ms: number): void {
    this.fail.count++;
    this.fail.ms += ms;
  }

  queued(ms: number): void {
    this.queue.count++;
    this.queue.ms += ms;
  }

  ran(ms: number, rows: number): void {
    this.compute.count++;
    this.compute.ms += ms;
    let batch = this.batches.get(rows);
    if (!batch) {
      batch = { count: 0, ms: 0 };
      this.batches.set(rows, batch);
    }
    batch.count++;
    batch.ms += ms;
  }
}
