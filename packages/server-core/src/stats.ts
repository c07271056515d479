/**
 * Per model version: how many inferences ran, failed and waited, and for how long in all, as the
 * Open Inference Protocol's statistics extension reports them. Counting costs two clock reads
 * per inference.
 */

/** A count and the time it took in all, in milliseconds (reported in nanoseconds). */
export interface DurationTotal {
  count: number;
  ms: number;
}

export class ModelStats {
  /** Runs that answered: from the model being asked to run to its outputs (queue time included). */
  readonly success: DurationTotal = { count: 0, ms: 0 };
  /** Runs that failed, in the queue or in the model. */
  readonly fail: DurationTotal = { count: 0, ms: 0 };
  /** Time waiting for a free slot (see ConcurrencyLimiter), for every run that got one. */
  readonly queue: DurationTotal = { count: 0, ms: 0 };
  /** Time in the backend, for every run that answered. */
  readonly compute: DurationTotal = { count: 0, ms: 0 };
  /** When the last run answered, in ms since the epoch (0: never). */
  lastInference = 0;

  queued(ms: number): void {
    this.queue.count++;
    this.queue.ms += ms;
  }

  succeeded(totalMs: number, computeMs: number, at: number): void {
    this.success.count++;
    this.success.ms += totalMs;
    this.compute.count++;
    this.compute.ms += computeMs;
    this.lastInference = at;
  }

  failed(ms: number): void {
    this.fail.count++;
    this.fail.ms += ms;
  }
}
