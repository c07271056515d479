import type { BatchingOptions } from './batcher.js';
import type { RowCacheOptions } from './row-cache.js';

/**
 * How a model version runs under load. Server-wide options give the defaults; a model's own
 * (its config file, or how it is added) may say `false` (the `Off` parameter) to turn off the
 * server's batching or cache for it. An unset field means the level above decides.
 */
export interface ModelLimits<Off extends false = never> {
  /** Inferences each version runs at once. Default: the backend's `concurrency`, else 4. */
  readonly concurrency?: number;
  /** Requests that may wait for a free slot before the server answers 503. Default 64. */
  readonly maxQueue?: number;
  /** Dynamic batching: join concurrent requests along the first dimension (`{ maxBatchSize, maxDelayMs }`). Off by default. */
  readonly batching?: BatchingOptions | Off;
  /** A row cache: keep answers by row and run only rows not seen before (`{ maxBytes }`). Off by default. */
  readonly cache?: RowCacheOptions | Off;
  /**
   * Warm-up rounds run when a version loads, before it is READY (each round runs the model once per
   * inference slot; see ServedModel.warmUp). Default 0.
   */
  readonly warmup?: number;
}
