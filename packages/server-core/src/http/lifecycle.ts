/**
 * Readiness and the requests in flight, shared by the core and its runtime adapter: the adapter
 * turns `ready` off when shutdown begins and waits for the requests to finish.
 */
export class Lifecycle<T> {
  ready = true;
  private readonly active = new Set<T>();
  private idle: Array<() => void> = [];

  get inFlight(): number {
    return this.active.size;
  }

  /** The requests in flight now. */
  requests(): T[] {
    return [...this.active];
  }

  enter(request: T): void {
    this.active.add(request);
  }

  /** Safe to call more than once for the same request. */
  leave(request: T): void {
    if (this.active.delete(request) && this.active.size === 0) for (const wake of this.idle.splice(0)) wake();
  }

  /** Resolves true once nothing is in flight, or false when `timeoutMs` (may be Infinity) passes first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = Number.isFinite(timeoutMs) ? setTimeout(() => resolve(false), timeoutMs) : undefined;
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
