/**
 * End-to-end small tier: 1x4 float32 requests from autocannon (32 connections) to our server
 * (identity backend) over GraphPipe and over the Open Inference Protocol's JSON, and to a bare
 * node:http echo (the ceiling), requests/s and latency.
 * The body is passed to autocannon as a Buffer (so it is sent verbatim) and every response is
 * compared with the bytes expected back (autocannon's `expectBody`, counted as mismatches).
 */
import { decodeInferResponse, encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import autocannon from 'autocannon';
import type { BenchConfig } from './config.js';
import { SMALL_VALUES } from './data.js';
import { progress } from './progress.js';
import type { SmallResults, SmallRow } from './results.js';
import { type ServerKind, type ServerProcess, withServer } from './server-process.js';

/** One measured endpoint: the server, the path on it, and the request's content type. */
export interface Target {
  readonly kind: ServerKind;
  readonly label: SmallRow['server'];
  readonly path: string;
  readonly contentType: string;
}

export const GRAPHPIPE: Target = {
  kind: 'graphpipe-identity',
  label: 'graphpipe',
  path: '/',
  contentType: 'application/octet-stream',
};
export const V2_JSON: Target = {
  kind: 'graphpipe-identity',
  label: 'v2-json',
  path: '/v2/models/identity/infer',
  contentType: 'application/json',
};
const BARE: Target = { kind: 'bare-echo', label: 'bare-http', path: '/', contentType: 'application/octet-stream' };

/** The v2 JSON request for the same values, and the exact answer our server gives it. */
export const V2_REQUEST = JSON.stringify({
  inputs: [{ name: 'input0', shape: [1, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2] }],
});
export const V2_ANSWER =
  '{"model_name":"identity","model_version":"1","outputs":[{"name":"output0","datatype":"FP32","shape":[1,4],"data":[5.1,3.5,1.4,0.2]}]}';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One fetch of the benchmark body, decoded: the server must hand back the same values. */
export async function verifyOnce(
  server: ServerProcess,
  target: Target,
  body: Buffer,
  expected: Buffer,
): Promise<string> {
  const res = await fetch(server.url + target.path, {
    method: 'POST',
    body,
    headers: { 'content-type': target.contentType },
  });
  const got = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${target.label} answered ${res.status}: ${got.toString().slice(0, 200)}`);
  if (!got.equals(expected)) throw new Error(`${target.label} answered other bytes than expected`);
  if (target === V2_JSON) {
    const out = (JSON.parse(got.toString()) as { outputs: { data: number[] }[] }).outputs[0]!;
    if (!Float32Array.from(out.data).every((v, i) => v === SMALL_VALUES[i]))
      throw new Error('v2-json answered other values');
    return 'a one-off fetch of the same JSON body reads back (as float32) to the values sent';
  }
  if (target === GRAPHPIPE) {
    const out = decodeInferResponse(got).outputs[0]!;
    if (out.shape.join() !== '1,4' || !(out.data as Float32Array).every((v, i) => v === SMALL_VALUES[i])) {
      throw new Error('graphpipe answered other values than it was sent');
    }
    return 'a one-off fetch of the same body decodes (decodeInferResponse) to the values sent';
  }
  return 'a one-off fetch of the same body is echoed byte for byte';
}

/** autocannon's own latency histogram has whole-ms resolution; these are the raw per-response ms. */
export async function load(
  url: string,
  contentType: string,
  body: Buffer,
  expected: Buffer,
  connections: number,
  duration: number,
  latencies: number[] = [],
) {
  return autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': contentType },
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
  target: Target,
  body: Buffer,
  expected: Buffer,
  config: BenchConfig,
  verified: string[],
  tick: (l: string) => void,
): Promise<SmallRow> {
  return withServer(target.kind, async (server) => {
    verified.push(`${target.label}: ${await verifyOnce(server, target, body, expected)}`);
    const url = server.url + target.path;
    const { connections, durationSec, warmupSec } = config.small;
    if (warmupSec > 0) await load(url, target.contentType, body, expected, connections, warmupSec);
    const latencies: number[] = [];
    const r = await load(url, target.contentType, body, expected, connections, durationSec, latencies);
    tick(target.label);
    const requests = r['2xx'] + r.non2xx;
    if (r.non2xx || r.mismatches || r.errors) {
      throw new Error(
        `${target.label}: ${r.non2xx} non-2xx answers, ${r.mismatches} mismatched bodies, ${r.errors} errors under load`,
      );
    }
    return {
      server: target.label,
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
  const input = tensor(SMALL_VALUES, [1, 4]);
  const body = asBuffer(encodeInferRequest({ inputs: [input] }));
  const answer = asBuffer(encodeInferResponse({ outputs: [input] }));
  const bar = progress('e2e-small', 3, config.progress);
  const verified: string[] = [];
  try {
    const ours = await measure(GRAPHPIPE, body, answer, config, verified, (l) => bar.tick(l));
    const v2 = await measure(V2_JSON, Buffer.from(V2_REQUEST), Buffer.from(V2_ANSWER), config, verified, (l) =>
      bar.tick(l),
    );
    const bare = await measure(BARE, body, body, config, verified, (l) => bar.tick(l));
    verified.push(
      'under load every answer was 200 and byte-identical to the expected one (autocannon expectBody: 0 mismatches)',
    );
    return {
      connections: config.small.connections,
      durationSec: config.small.durationSec,
      requestBytes: body.length,
      rows: [ours, v2, bare],
      ratios: {
        requestsPerSec: ours.requestsPerSec / bare.requestsPerSec,
        p50: ours.p50Ms / bare.p50Ms,
        p99: ours.p99Ms / bare.p99Ms,
        v2JsonToGraphPipe: v2.requestsPerSec / ours.requestsPerSec,
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
