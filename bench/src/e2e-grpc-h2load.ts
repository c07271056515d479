/**
 * gRPC's primary cells: h2load (C) drives every front door the same way, so the ratios are the
 * servers' and not a JavaScript load generator's. Each server runs in its own process; a cell
 * runs one unmeasured warm-up round, then rounds alternating the servers. Every side is first
 * called once for real and its answer decoded and checked; under load h2load checks the statuses
 * and that every answer had the checked one's length (h2load.ts).
 * - small: 1x4 float32 ModelInfer multiplexed on one connection (as gRPC clients call: one
 *   channel, many calls in flight) and one call per connection, against GraphPipe and REST v2
 *   JSON over HTTP/1.1 with as many connections; requests/s and server CPU per request.
 * - large: batches of 224x224x3 float32 rows as raw contents, C calls on one connection against
 *   GraphPipe over C HTTP/1.1 connections; rows/s and server CPU per request.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeInferResponse, encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import type { BenchConfig } from './config.js';
import { IMAGE_ROW, randomFloats, rowElements, SMALL_VALUES } from './data.js';
import { GRAPHPIPE, type Target, V2_ANSWER, V2_JSON, V2_REQUEST, verifyOnce } from './e2e-small.js';
import { encoded, grpcCaller, grpcFrame, INFER_PATH } from './grpc-call.js';
import { type H2loadJob, type H2loadRun, h2load } from './h2load.js';
import { sameEnds } from './large-client.js';
import type { H2loadLargeCell, H2loadSmall, H2loadTotals } from './results.js';
import { type ServerProcess, withServer } from './server-process.js';

/** A front door as h2load calls it: everything but the request count. */
interface Side {
  readonly server: ServerProcess;
  readonly job: Omit<H2loadJob, 'requests'>;
}

/** One h2load run against `side`, with the server process's CPU time over it (µs). */
async function measured(side: Side, requests: number): Promise<H2loadRun & { cpuUs: number }> {
  const before = await side.server.memory();
  const run = await h2load({ ...side.job, requests });
  const after = await side.server.memory();
  return { ...run, cpuUs: after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs };
}

/**
 * A warm-up round of `warmup(name)` requests per side, then `rounds` rounds alternating the sides,
 * each of `size(name, warm-up run)` requests; the totals of the measured rounds per side.
 */
async function alternate<K extends string>(
  sides: Record<K, Side>,
  rounds: number,
  warmup: (name: K) => number,
  size: (name: K, warm: H2loadRun) => number,
  tick: (label: string) => void,
): Promise<Record<K, H2loadTotals>> {
  const names = Object.keys(sides) as K[];
  const counts = {} as Record<K, number>;
  for (const name of names) counts[name] = size(name, await h2load({ ...sides[name].job, requests: warmup(name) }));
  const sums = Object.fromEntries(names.map((n) => [n, { requests: 0, seconds: 0, cpuUs: 0 }])) as Record<
    K,
    { requests: number; seconds: number; cpuUs: number }
  >;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const r = await measured(sides[name], counts[name]);
      sums[name].requests += r.requests;
      sums[name].seconds += r.seconds;
      sums[name].cpuUs += r.cpuUs;
    }
    tick(`round ${round + 1}/${rounds}`);
  }
  const totals = {} as Record<K, H2loadTotals>;
  for (const name of names) {
    const s = sums[name];
    totals[name] = {
      requests: s.requests,
      seconds: s.seconds,
      requestsPerSec: s.requests / s.seconds,
      serverCpuUsPerRequest: s.cpuUs / s.requests,
    };
  }
  return totals;
}

const GRPC_HEADERS = ['content-type: application/grpc', 'te: trailers'];
const grpcUrl = (server: ServerProcess) => `${server.url.replace('grpc://', 'http://')}${INFER_PATH}`;

/** One real ModelInfer call, its answer decoded and checked: the length of its frame. */
async function checkedGrpcAnswer(server: ServerProcess, call: ReturnType<typeof encoded>): Promise<number> {
  const caller = grpcCaller(server.url);
  try {
    const answer = await caller.call(call.bytes);
    call.check(answer);
    return grpcFrame(answer).length;
  } finally {
    caller.close();
  }
}

/** An HTTP/1.1 front door of the small cell, its answer checked once by the small tier's own check. */
async function smallHttpSide(
  server: ServerProcess,
  target: Target,
  body: Buffer,
  answer: Buffer,
  connections: number,
  dir: string,
  verified: string[],
): Promise<Side> {
  verified.push(`${target.label}: ${await verifyOnce(server, target, body, answer)}`);
  const file = join(dir, `${target.label}.bin`);
  writeFileSync(file, body);
  return {
    server,
    job: {
      h1: true,
      connections,
      streams: 1,
      url: server.url + target.path,
      body: file,
      headers: [`content-type: ${target.contentType}`],
      answerBytes: answer.length,
    },
  };
}

export async function runSmallH2load(config: BenchConfig, tick: (l: string) => void): Promise<H2loadSmall> {
  const { connections, h2loadRequests: requests, h2loadRounds: rounds } = config.small;
  const dir = mkdtempSync(join(tmpdir(), 'bench-h2load-'));
  const verified: string[] = [];
  try {
    const input = tensor(SMALL_VALUES, [1, 4]);
    const graphpipeBody = Buffer.from(encodeInferRequest({ inputs: [input] }));
    const graphpipeAnswer = Buffer.from(encodeInferResponse({ outputs: [input] }));
    const call = encoded(SMALL_VALUES, [1, 4]);
    const grpcBody = join(dir, 'grpc.bin');
    writeFileSync(grpcBody, grpcFrame(call.bytes));
    const totals = await withServer('graphpipe-grpc', (grpcServer) =>
      withServer('graphpipe-identity', (graphpipeServer) =>
        withServer('graphpipe-identity', async (v2Server) => {
          const answerBytes = await checkedGrpcAnswer(grpcServer, call);
          verified.push('grpc: a real ModelInfer call (@grpc/grpc-js) decodes to the values sent');
          const grpc = (c: number, m: number): Side => ({
            server: grpcServer,
            job: {
              h1: false,
              connections: c,
              streams: m,
              url: grpcUrl(grpcServer),
              body: grpcBody,
              headers: GRPC_HEADERS,
              answerBytes,
            },
          });
          const sides = {
            grpcMultiplexed: grpc(1, connections),
            grpcPerConnection: grpc(connections, 1),
            graphpipe: await smallHttpSide(
              graphpipeServer,
              GRAPHPIPE,
              graphpipeBody,
              graphpipeAnswer,
              connections,
              dir,
              verified,
            ),
            v2Json: await smallHttpSide(
              v2Server,
              V2_JSON,
              Buffer.from(V2_REQUEST),
              Buffer.from(V2_ANSWER),
              connections,
              dir,
              verified,
            ),
          };
          return alternate(
            sides,
            rounds,
            () => requests,
            () => requests,
            (l) => tick(`small: h2load ${l}`),
          );
        }),
      ),
    );
    verified.push(
      'under load (h2load): every answer 2xx, and the bytes of data received those of as many checked answers',
    );
    return {
      connections,
      requestsPerRound: requests,
      rounds,
      ...totals,
      ratios: {
        multiplexedToGraphPipe: totals.grpcMultiplexed.requestsPerSec / totals.graphpipe.requestsPerSec,
        multiplexedToV2Json: totals.grpcMultiplexed.requestsPerSec / totals.v2Json.requestsPerSec,
        perConnectionToGraphPipe: totals.grpcPerConnection.requestsPerSec / totals.graphpipe.requestsPerSec,
      },
      verified,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The batches of the large tier that a message of gRPC's (and the server's default body limit) holds. */
export const grpcBatches = (config: BenchConfig) =>
  config.large.batches.filter((b) => b * rowElements(IMAGE_ROW) * 4 < 256 * 1024 * 1024);

/** One real GraphPipe call of `body`, its answer decoded and checked: the answer's length. */
async function checkedGraphPipeAnswer(server: ServerProcess, body: Uint8Array, data: Float32Array): Promise<number> {
  const res = await fetch(server.url, { method: 'POST', body, headers: { 'content-type': GRAPHPIPE.contentType } });
  const answer = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`graphpipe answered ${res.status}`);
  if (!sameEnds(decodeInferResponse(answer).outputs[0]!.data as Float32Array, data)) {
    throw new Error('graphpipe answered other values than it was sent');
  }
  return answer.length;
}

/**
 * Requests per round from the warm-up's rate, on the large tier's terms: about `durationMs`
 * per cell split among the rounds, at least `minRequestsPerClient` per client over the rounds,
 * at most `maxRequests`; a whole number of requests per client.
 */
function largeRequests(config: BenchConfig, concurrency: number, warm: H2loadRun): number {
  const { durationMs, minRequestsPerClient, maxRequests, rounds } = config.large;
  const byTime = Math.round(((warm.requests / warm.seconds) * durationMs) / 1000 / rounds);
  const least = concurrency * Math.ceil(minRequestsPerClient / rounds);
  const most = Math.max(least, Math.ceil(maxRequests / rounds));
  return Math.ceil(Math.min(most, Math.max(least, byTime)) / concurrency) * concurrency;
}

export async function runLargeH2load(config: BenchConfig, tick: (l: string) => void): Promise<H2loadLargeCell[]> {
  const cells: H2loadLargeCell[] = [];
  await withServer('graphpipe-grpc', (grpcServer) =>
    withServer('graphpipe-identity', async (graphpipeServer) => {
      for (const batch of grpcBatches(config)) {
        const dir = mkdtempSync(join(tmpdir(), 'bench-h2load-'));
        try {
          const shape = [batch, ...IMAGE_ROW];
          const data = randomFloats(batch * rowElements(IMAGE_ROW), 3);
          const grpcBody = join(dir, 'grpc.bin');
          const graphpipeBody = join(dir, 'graphpipe.bin');
          const call = encoded(data, shape);
          const requestBytes = call.bytes.length;
          writeFileSync(grpcBody, grpcFrame(call.bytes));
          const graphpipeBytes = encodeInferRequest({ inputs: [tensor(data, shape)] });
          writeFileSync(graphpipeBody, graphpipeBytes);
          const grpcAnswer = await checkedGrpcAnswer(grpcServer, call);
          const graphpipeAnswer = await checkedGraphPipeAnswer(graphpipeServer, graphpipeBytes, data);
          for (const c of config.large.concurrency) {
            const sides = {
              grpc: {
                server: grpcServer,
                job: {
                  h1: false,
                  connections: 1,
                  streams: c,
                  url: grpcUrl(grpcServer),
                  body: grpcBody,
                  headers: GRPC_HEADERS,
                  answerBytes: grpcAnswer,
                },
              },
              graphpipe: {
                server: graphpipeServer,
                job: {
                  h1: true,
                  connections: c,
                  streams: 1,
                  url: graphpipeServer.url,
                  body: graphpipeBody,
                  headers: [`content-type: ${GRAPHPIPE.contentType}`],
                  answerBytes: graphpipeAnswer,
                },
              },
            };
            const t = await alternate(
              sides,
              config.large.rounds,
              () => c,
              (_, warm) => largeRequests(config, c, warm),
              (l) => tick(`large: h2load batch ${batch} x${c} ${l}`),
            );
            const withRows = (s: H2loadTotals) => ({ ...s, rowsPerSec: s.requestsPerSec * batch });
            cells.push({
              batch,
              concurrency: c,
              requestBytes,
              grpc: withRows(t.grpc),
              graphpipe: withRows(t.graphpipe),
              ratio: t.grpc.requestsPerSec / t.graphpipe.requestsPerSec,
              cpuRatio: t.grpc.serverCpuUsPerRequest / t.graphpipe.serverCpuUsPerRequest,
            });
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }),
  );
  return cells;
}
