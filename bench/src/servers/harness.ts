import { messageOf } from '@graphpipe/protocol';
/**
 * Runs inside a benchmark server child process (forked by ../server-process.ts): starts the
 * server, reports its URL over IPC, and answers memory queries so the parent can measure the
 * server's peak RSS per benchmark cell without the client's memory mixed in.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

export interface Started {
  readonly url: string;
  close(): Promise<void>;
}

export type ParentMessage = { type: 'mem'; reset: boolean } | { type: 'close' };
export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'error'; message: string }
  | {
      type: 'mem';
      rssBytes: number;
      peakBytes: number;
      peakSource: 'VmHWM' | 'sampled';
      /** Totals since the process started (process.resourceUsage()). */
      cpuUserUs: number;
      cpuSystemUs: number;
      minorFaults: number;
      gc: GcTotals;
    };

/** Garbage collections since the process started, by kind, and the time they took. */
export interface GcTotals {
  readonly gcMajor: number;
  readonly gcMinor: number;
  readonly gcIncremental: number;
  /** Total duration of every GC entry, in ms (major, minor, incremental and weak callbacks). */
  readonly gcMs: number;
}

/**
 * Counts the process's GC entries (perf_hooks 'gc'). The observer is cheap: V8 reports each
 * collection once, and the entries are delivered in batches on the event loop.
 */
class GcCounter {
  private readonly totals = { gcMajor: 0, gcMinor: 0, gcIncremental: 0, gcMs: 0 };
  private readonly observer = new PerformanceObserver((list) => this.count(list.getEntries()));

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  private count(entries: readonly PerformanceEntry[]): void {
    for (const entry of entries) {
      // Node 16+ puts the kind in `detail` (older typings lack it).
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.totals.gcMajor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.totals.gcMinor++;
      else if (kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) this.totals.gcIncremental++;
      this.totals.gcMs += entry.duration;
    }
  }

  read(): GcTotals {
    // Entries still queued for the observer belong to the window being read.
    this.count(this.observer.takeRecords());
    return { ...this.totals };
  }
}

/**
 * Peak RSS since the last reset: the kernel's VmHWM when it can be reset (no cost between
 * queries), else the maximum of a 5 ms sampler.
 */
class PeakRss {
  private readonly canReset = resetHwm();
  private sampled = process.memoryUsage.rss();
  private readonly timer = this.canReset
    ? undefined
    : setInterval(() => {
        this.sampled = Math.max(this.sampled, process.memoryUsage.rss());
      }, 5).unref();

  reset(): void {
    if (this.canReset) resetHwm();
    this.sampled = process.memoryUsage.rss();
  }

  read(): { peakBytes: number; peakSource: 'VmHWM' | 'sampled' } {
    const hwm = this.canReset ? readHwm() : undefined;
    return hwm === undefined
      ? { peakBytes: this.sampled, peakSource: 'sampled' }
      : { peakBytes: hwm, peakSource: 'VmHWM' };
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** Writing 5 to clear_refs resets the peak resident set size (Linux). */
function resetHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return readHwm() !== undefined;
  } catch {
    return false;
  }
}

function readHwm(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function runServer(start: () => Promise<Started>): void {
  const send = (m: ChildMessage) => process.send?.(m);
  const peak = new PeakRss();
  const gc = new GcCounter();
  start().then(
    (server) => {
      process.on('message', (m: ParentMessage) => {
        if (m.type === 'mem') {
          const rssBytes = process.memoryUsage.rss();
          const usage = process.resourceUsage();
          send({
            type: 'mem',
            rssBytes,
            ...peak.read(),
            cpuUserUs: usage.userCPUTime,
            cpuSystemUs: usage.systemCPUTime,
            minorFaults: usage.minorPageFault,
            gc: gc.read(),
          });
          if (m.reset) peak.reset();
        } else if (m.type === 'close') {
          peak.stop();
          server.close().finally(() => process.exit(0));
        }
      });
      send({ type: 'ready', url: server.url });
    },
    (err: unknown) => {
      send({ type: 'error', message: messageOf(err) });
      setTimeout(() => process.exit(1), 50);
    },
  );
  // The parent going away must not leave a server behind.
  process.on('disconnect', () => process.exit(0));
}

/** Listens a plain node:http server on a free loopback port. */
export async function listen(server: import('node:http').Server): Promise<Started> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.requestTimeout = 0;
  keepAlive(server);
  const { port } = server.address() as import('node:net').AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Reads a whole request body the plain way: collect the chunks, concatenate once. */
export function readAll(req: import('node:http').IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Node closes idle keep-alive sockets after 5 s by default; a client whose event loop is busy
 * (JSON.stringify of a big batch) may then write into a socket the server already closed (EPIPE).
 * Every benchmark server gets the same longer idle timeout.
 */
export function keepAlive(server: import('node:http').Server): void {
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
}
