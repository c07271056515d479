import { GraphPipeError } from '@graphpipe/protocol';

/**
 * Caps the bytes of request bodies held at once across all requests, so a burst of large
 * requests is turned away (503) instead of growing memory without bound. Requests take
 * their share before their body is read (from Content-Length, or chunk by chunk when it
 * streams) and give it back when they finish.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  /** Takes `n` bytes or throws UNAVAILABLE; nothing is taken when it throws. */
  take(n: number): void {
    if (this.used + n > this.max) {
      throw new GraphPipeError(
        'UNAVAILABLE',
        `server busy: ${this.used} bytes of requests in flight and this one needs ${n} more (limit ${this.max}); retry later`,
        { retryAfter: 1 },
      );
    }
    this.used += n;
  }

  give(n: number): void {
    this.used -= n;
  }
}
