/**
 * Readiness and in-flight accounting shared by the app and its runtime adapter: the adapter
 * flips `ready` off when it starts draining, and waits for `inFlight` to reach zero.
 */
export class Lifecycle {
  ready = true;
  private active = 0;
  private idle: Array<() => void> = [];

  get inFlight(): number {
    return this.active;
  }

  enter(): void {
    this.active++;
  }

  leave(): void {
    if (--this.active === 0) for (const wake of this.idle.splice(0)) wake();
  }

  /** Resolves true once nothing is in flight, or false when `timeoutMs` passes first. */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
