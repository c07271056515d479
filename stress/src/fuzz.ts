import { randomInt as int, seededRandom } from '@graphpipe/test-utils';
import { requestCorpus } from './corpus.js';
import { mutate } from './mutate.js';
import { mutateV2, v2Corpus } from './v2-corpus.js';

export interface FuzzOptions {
  /** Base URL of the server under test (loopback only). */
  url: string;
  /**
   * 'graphpipe' (default): mutated GraphPipe messages POSTed to `url`. 'v2': mutated Open
   * Inference Protocol requests (JSON, binary tensor data and the raw form, with their
   * Inference-Header-Content-Length) POSTed to the echo model's v2 infer endpoint.
   */
  protocol?: 'graphpipe' | 'v2';
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

/** One mutated request: where it goes, what it carries, and how it was made. */
interface FuzzCase {
  readonly url: string;
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly how: string;
}

/** The case generator for a protocol: `make(random)` draws a seed input and mutates it. */
function caseMaker(options: FuzzOptions): (random: () => number) => FuzzCase {
  if (options.protocol === 'v2') {
    const corpus = v2Corpus();
    const url = `${options.url}/v2/models/echo/infer`;
    return (random) => {
      const { request, how } = mutateV2(corpus[int(random, corpus.length)]!, random);
      const headers: Record<string, string> =
        request.header === undefined ? {} : { 'inference-header-content-length': request.header };
      return { url, body: request.body, headers, how };
    };
  }
  const corpus = requestCorpus();
  return (random) => {
    const { bytes, how } = mutate(corpus[int(random, corpus.length)]!, random);
    return { url: options.url, body: bytes, headers: {}, how };
  };
}

/** Whether an answer is a failure: a 5xx, or an error that is not the protocol's one line. */
function failed(protocol: FuzzOptions['protocol'], status: number, body: string): boolean {
  if (status >= 500) return true;
  if (status === 200) return false;
  if (body.trimEnd().includes('\n')) return true;
  if (protocol !== 'v2') return false;
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error !== 'string' || Object.keys(parsed).length !== 1;
  } catch {
    return true;
  }
}

/**
 * Sends `cases` mutated requests and tallies the answers. A server passes when every answer
 * is a 200 (a harmless mutation) or a 4xx: never a 5xx, never a dropped connection.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const seed = options.seed ?? 1;
  const make = caseMaker(options);
  const report: FuzzReport = { cases: options.cases, seed, byStatus: {}, failures: [] };
  let next = 0;
  const worker = async () => {
    while (next < options.cases) {
      const index = next++;
      // Each case derives its own generator, so case N is reproducible on its own.
      const random = seededRandom(seed * 1_000_003 + index);
      const { url, body: bytes, headers, how } = make(random);
      try {
        const res = await fetch(url, { method: 'POST', body: bytes, headers });
        const body = await res.text();
        report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1;
        // Errors must be one line (for v2, one JSON object with its error); a 5xx means the server itself broke.
        if (failed(options.protocol, res.status, body)) {
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
