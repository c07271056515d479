import { GraphPipeError } from '@graphpipe/protocol';

/**
 * Bounds how many inferences run at once; up to `maxQueue` more wait in FIFO order and the
 * rest are turned away at once with UNAVAILABLE (503 + Retry-After), so a burst cannot pile
 * up unbounded memory behind a slow model.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<{ grant: () => void }> = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
  ) {
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
    if (!(maxQueue >= 0)) throw new RangeError(`maxQueue must be 0 or more, got ${maxQueue}`);
  }

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Takes a slot if one is free right now (no promise, no waiting); call `release` afterwards if so. */
  tryAcquire(): boolean {
    if (this.active >= this.concurrency) return false;
    this.active++;
    return true;
  }

  /**
   * Resolves when a slot is free; call `release` exactly once afterwards. The caller's signal
   * is read only if the request has to wait.
   */
  acquire(caller?: { readonly signal: AbortSignal }): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    if (this.waiting.length >= this.maxQueue) {
      return Promise.reject(
        new GraphPipeError(
          'UNAVAILABLE',
          `server busy: ${this.active} inferences running and ${this.waiting.length} queued; retry later`,
          { retryAfter: 1 },
        ),
      );
    }
    const signal = caller?.signal;
    return new Promise<void>((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new GraphPipeError('ABORTED', 'request aborted while waiting for the model'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  release(): void {
    const next = this.waiting.shift();
    // A waiting request takes over the slot directly, so `active` only drops when nobody waits.
    if (next) next.grant();
    else this.active--;
  }
}
