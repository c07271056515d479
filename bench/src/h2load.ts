/**
 * h2load (nghttp2's load generator, in C) as the bench runs it: one run of a fixed number of
 * requests, its rate read from the summary, and every answer checked from the totals. h2load
 * counts a gRPC error as a 2xx (the status is in the trailers), so the bytes of data received
 * must also be exactly `requests` answers of the expected length: an error answer carries none.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why h2load cannot be used here, or undefined when it is on PATH. */
export function h2loadMissing(): string | undefined {
  const found = spawnSync('h2load', ['--version'], { encoding: 'utf8' });
  return found.error ? 'h2load is not on PATH (Debian: apt-get install nghttp2-client)' : undefined;
}

export interface H2loadRun {
  readonly requests: number;
  readonly seconds: number;
}

export interface H2loadJob {
  /** Connections (-c) and requests in flight on each (-m). */
  readonly connections: number;
  readonly streams: number;
  readonly requests: number;
  /** HTTP/1.1 (--h1) instead of h2c. */
  readonly h1: boolean;
  readonly url: string;
  /** The file whose contents are every request's body (-d). */
  readonly body: string;
  readonly headers?: readonly string[];
  /** The length of one answer's body: the check that every call succeeded. */
  readonly answerBytes: number;
}

/** h2c windows of 1 GiB (2^30): h2load's 64 KiB defaults would throttle large answers. */
const WINDOWS = ['-w', '30', '-W', '30'];

export async function h2load(job: H2loadJob): Promise<H2loadRun> {
  const args = [
    ...(job.h1 ? ['--h1'] : WINDOWS),
    ...['-n', String(job.requests), '-c', String(job.connections), '-m', String(job.streams)],
    ...(job.headers ?? []).flatMap((h) => ['-H', h]),
    ...['-d', job.body, job.url],
  ];
  const { stdout } = await run('h2load', args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const fail = (why: string) =>
    new Error(`h2load ${args.join(' ')}: ${why}; its summary: ${stdout.trim().split('\n').slice(-6).join(' / ')}`);
  const finished = /finished in ([\d.]+)(s|ms|us),/.exec(stdout);
  const statuses = /status codes: (\d+) 2xx, 0 3xx, 0 4xx, 0 5xx/.exec(stdout);
  const data = /traffic: .* \((\d+)\) data/.exec(stdout);
  if (!finished || !statuses || !data) throw fail('no summary, or answers other than 2xx');
  if (Number(statuses[1]) !== job.requests) throw fail(`${statuses[1]} answers of ${job.requests} requests`);
  if (Number(data[1]) !== job.requests * job.answerBytes) {
    throw fail(
      `${data[1]} bytes of data where ${job.requests} answers of ${job.answerBytes} make ${job.requests * job.answerBytes}`,
    );
  }
  const unit = { s: 1, ms: 1e-3, us: 1e-6 }[finished[2] as 's' | 'ms' | 'us'];
  return { requests: job.requests, seconds: Number(finished[1]) * unit };
}
