/**
 * End-to-end small tier: 1x4 float32 requests from autocannon (32 connections) to our server
 * (identity backend) and to a bare node:http echo (the ceiling), requests/s and latency.
 * The body is passed to autocannon as a Buffer (so it is sent verbatim) and every response is
 * compared with the bytes expected back (autocannon's `expectBody`, counted as mismatches).
 */
import { decodeInferResponse, encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import autocannon from 'autocannon';
import type { BenchConfig } from './config.js';
import { progress } from './progress.js';
import type { SmallResults, SmallRow } from './results.js';
import { type ServerKind, type ServerProcess, withServer } from './server-process.js';

const VALUES = new Float32Array([5.1, 3.5, 1.4, 0.2]);

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One fetch of the benchmark body, decoded: the server must hand back the same values. */
async function verifyOnce(server: ServerProcess, body: Buffer, expected: Buffer): Promise<string> {
  const res = await fetch(server.url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
  const got = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${server.kind} answered ${res.status}: ${got.toString().slice(0, 200)}`);
  if (!got.equals(expected)) throw new Error(`${server.kind} answered other bytes than expected`);
  if (server.kind === 'graphpipe-identity') {
    const out = decodeInferResponse(got).outputs[0]!;
    if (out.shape.join() !== '1,4' || !(out.data as Float32Array).every((v, i) => v === VALUES[i])) {
      throw new Error('graphpipe answered other values than it was sent');
    }
    return 'a one-off fetch of the same body decodes (decodeInferResponse) to the values sent';
  }
  return 'a one-off fetch of the same body is echoed byte for byte';
}

/** autocannon's own latency histogram has whole-ms resolution; these are the raw per-response ms. */
export async function load(
  url: string,
  body: Buffer,
  expected: Buffer,
  connections: number,
  duration: number,
  latencies: number[] = [],
) {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body,
    connections,
    duration,
    // Compared as autocannon reads responses (UTF-8 text); equal bytes give equal strings.
    expectBody: expected.toString('utf8'),
    setupClient: (client) => {
      client.on('response', (_status: number, _bytes: number, ms: number) => latencies.push(ms));
    },
  });
}

async function measure(
  kind: ServerKind,
  body: Buffer,
  expected: Buffer,
  config: BenchConfig,
  verified: string[],
  tick: (l: string) => void,
): Promise<SmallRow> {
  return withServer(kind, async (server) => {
    verified.push(`${kind}: ${await verifyOnce(server, body, expected)}`);
    const { connections, durationSec, warmupSec } = config.small;
    if (warmupSec > 0) await load(server.url, body, expected, connections, warmupSec);
    const latencies: number[] = [];
    const r = await load(server.url, body, expected, connections, durationSec, latencies);
    tick(kind);
    const requests = r['2xx'] + r.non2xx;
    if (r.non2xx || r.mismatches || r.errors) {
      throw new Error(
        `${kind}: ${r.non2xx} non-2xx answers, ${r.mismatches} mismatched bodies, ${r.errors} errors under load`,
      );
    }
    return {
      server: kind === 'bare-echo' ? 'bare-http' : 'graphpipe',
      requestsPerSec: requests / r.duration,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      requests,
      errors: r.errors,
      non2xx: r.non2xx,
      mismatches: r.mismatches,
    };
  });
}

export async function runSmall(config: BenchConfig): Promise<SmallResults> {
  const input = tensor(VALUES, [1, 4]);
  const body = asBuffer(encodeInferRequest({ inputs: [input] }));
  const answer = asBuffer(encodeInferResponse({ outputs: [input] }));
  const bar = progress('e2e-small', 2, config.progress);
  const verified: string[] = [];
  try {
    const ours = await measure('graphpipe-identity', body, answer, config, verified, (l) => bar.tick(l));
    const bare = await measure('bare-echo', body, body, config, verified, (l) => bar.tick(l));
    verified.push(
      'under load every answer was 200 and byte-identical to the expected one (autocannon expectBody: 0 mismatches)',
    );
    return {
      connections: config.small.connections,
      durationSec: config.small.durationSec,
      requestBytes: body.length,
      rows: [ours, bare],
      ratios: {
        requestsPerSec: ours.requestsPerSec / bare.requestsPerSec,
        p50: ours.p50Ms / bare.p50Ms,
        p99: ours.p99Ms / bare.p99Ms,
      },
      verified,
    };
  } finally {
    bar.stop();
  }
}

export function percentile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
