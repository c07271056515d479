import { randomInt as int, seededRandom } from '@graphpipe/test-utils';
import { requestCorpus } from './corpus.js';
import { mutate } from './mutate.js';

export interface FuzzOptions {
  /** Base URL of the server under test (loopback only). */
  url: string;
  cases: number;
  seed?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  onProgress?: (done: number) => void;
}

export interface FuzzReport {
  cases: number;
  seed: number;
  /** Answers by HTTP status, e.g. { 200: 812, 400: 9188 }. */
  byStatus: Record<number, number>;
  /** Cases that got a 5xx or no answer at all, with how to reproduce them. */
  failures: { index: number; how: string; status: number | string; body: string }[];
}

/**
 * Sends `cases` mutated requests and tallies the answers. A server passes when every answer
 * is a 200 (a harmless mutation) or a 4xx: never a 5xx, never a dropped connection.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? 1;
  const corpus = requestCorpus();
  const report: FuzzReport = { cases: options.cases, seed, byStatus: {}, failures: [] };
  let next = 0;
  const worker = async () => {
    while (next < options.cases) {
      const index = next++;
      // Each case derives its own generator, so case N is reproducible on its own.
      const random = seededRandom(seed * 1_000_003 + index);
      const { bytes, how } = mutate(corpus[int(random, corpus.length)]!, random);
      try {
        const res = await fetch(options.url, { method: 'POST', body: bytes });
        const body = await res.text();
        report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1;
        // Errors must be one line of text; a 5xx means the server itself broke.
        if (res.status >= 500 || (res.status !== 200 && body.trimEnd().includes('\n'))) {
          report.failures.push({ index, how, status: res.status, body: body.slice(0, 200) });
        }
      } catch (err) {
        report.failures.push({ index, how, status: 'no answer', body: String((err as Error).cause ?? err) });
      }
      options.onProgress?.(index + 1);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return report;
}
