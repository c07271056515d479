/** A bounded closed-loop load generator: `concurrency` clients, each sending one request at a time. */

export interface DriveOptions {
  readonly concurrency: number;
  /** Keep starting requests until this much time has passed... */
  readonly durationMs: number;
  /** ...and every client has completed at least this many... */
  readonly minRequestsPerClient: number;
  /** ...but never more than this many in all. */
  readonly maxRequests: number;
  /** Unmeasured requests per client first (connection set-up, JIT). */
  readonly warmupPerClient?: number;
}

export interface DriveResult {
  readonly requests: number;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSec: number;
}

/** `once` sends one request and resolves to the number of rows it carried. */
export async function drive(options: DriveOptions, once: () => Promise<number>): Promise<DriveResult> {
  const clients = Array.from({ length: options.concurrency }, (_, i) => i);
  const warmup = options.warmupPerClient ?? 1;
  await Promise.all(
    clients.map(async () => {
      for (let i = 0; i < warmup; i++) await once();
    }),
  );

  let started = 0;
  let rows = 0;
  let requests = 0;
  const t0 = performance.now();
  const deadline = t0 + options.durationMs;
  await Promise.all(
    clients.map(async () => {
      for (let mine = 0; ; mine++) {
        const more = performance.now() < deadline || mine < options.minRequestsPerClient;
        if (!more || started >= options.maxRequests) return;
        started++;
        // Not `rows += await once()`: that reads `rows` before the await, losing other clients' rows.
        const carried = await once();
        rows += carried;
        requests++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { requests, rows, seconds, rowsPerSec: rows / seconds };
}
