/**
 * The Open Inference Protocol over gRPC against the other front doors, in the same run. The
 * primary cells are h2load's (e2e-grpc-h2load.ts): one C load generator for every front door.
 * The Node cells here stay beside them, bounded by their JavaScript clients (grpc-js above all)
 * rather than by the server:
 * - small: 1x4 float32 ModelInfer calls (raw contents) from a closed loop of `small.connections`
 *   concurrent calls on one HTTP/2 connection (@grpc/grpc-js, as tritonclient.grpc holds one
 *   channel), against GraphPipe and REST v2 JSON from the small tier (autocannon, HTTP/1.1) and
 *   against GraphPipe from the same kind of Node closed loop (node:http, keep-alive);
 * - large: batches of 224x224x3 float32 rows as raw contents against GraphPipe from the large
 *   tier's load generator, rows/s, in alternating rounds on servers of their own.
 * Every first answer is decoded and checked; later ones must have the first one's length.
 */
import { Agent, request } from 'node:http';
import { encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import type { BenchConfig } from './config.js';
import { IMAGE_ROW, randomFloats, rowElements, SMALL_VALUES } from './data.js';
import { drive } from './drive.js';
import { grpcBatches, runLargeH2load, runSmallH2load } from './e2e-grpc-h2load.js';
import { percentile } from './e2e-small.js';
import { encoded, grpcCaller } from './grpc-call.js';
import { h2loadMissing } from './h2load.js';
import { largeClient } from './large-client.js';
import { progress } from './progress.js';
import type { GrpcLargeCell, GrpcResults, SmallResults } from './results.js';
import { type ServerProcess, withServer } from './server-process.js';

/** A closed loop of `concurrency` callers for `durationSec`: requests/s and latency. */
async function closedLoop(concurrency: number, durationSec: number, once: () => Promise<unknown>) {
  const latencies: number[] = [];
  const deadline = performance.now() + durationSec * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await once();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    requestsPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/** GraphPipe's small request over node:http keep-alive connections, the answer's length checked. */
function graphpipeCaller(url: string, connections: number) {
  const input = tensor(SMALL_VALUES, [1, 4]);
  const body = Buffer.from(encodeInferRequest({ inputs: [input] }));
  const expected = encodeInferResponse({ outputs: [input] }).length;
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const call = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { 'content-length': body.length } }, (res) => {
        let length = 0;
        res.on('data', (c: Buffer) => (length += c.length));
        res.on('end', () =>
          res.statusCode === 200 && length === expected
            ? resolve()
            : reject(new Error(`graphpipe answered ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}

async function runSmallGrpc(config: BenchConfig, small: SmallResults | undefined, tick: (l: string) => void) {
  const { connections, durationSec, warmupSec } = config.small;
  const grpc = await withServer('graphpipe-grpc', async (server) => {
    const caller = grpcCaller(server.url);
    const { bytes, check } = encoded(SMALL_VALUES, [1, 4]);
    try {
      check(await caller.call(bytes));
      if (warmupSec > 0) await closedLoop(connections, warmupSec, () => caller.call(bytes));
      return await closedLoop(connections, durationSec, () => caller.call(bytes));
    } finally {
      caller.close();
    }
  });
  tick('small: grpc');
  const graphpipeNode = await withServer('graphpipe-identity', async (server) => {
    const caller = graphpipeCaller(server.url, connections);
    try {
      await caller.call();
      if (warmupSec > 0) await closedLoop(connections, warmupSec, caller.call);
      return await closedLoop(connections, durationSec, caller.call);
    } finally {
      caller.close();
    }
  });
  tick('small: graphpipe (node:http loop)');
  const rps = (label: string) => small?.rows.find((r) => r.server === label)?.requestsPerSec;
  const graphpipe = rps('graphpipe');
  const v2 = rps('v2-json');
  return {
    grpc,
    graphpipeNode,
    ratios: {
      toGraphPipeSameGenerator: grpc.requestsPerSec / graphpipeNode.requestsPerSec,
      ...(graphpipe ? { toGraphPipeAutocannon: grpc.requestsPerSec / graphpipe } : {}),
      ...(v2 ? { toV2JsonAutocannon: grpc.requestsPerSec / v2 } : {}),
    },
  };
}

async function runLargeGrpc(config: BenchConfig, tick: (l: string) => void): Promise<GrpcLargeCell[]> {
  const { concurrency, durationMs, minRequestsPerClient, maxRequests, rounds } = config.large;
  const batches = grpcBatches(config);
  const cells: GrpcLargeCell[] = [];
  await withServer('graphpipe-grpc', (grpcServer) =>
    withServer('graphpipe-identity', async (graphpipeServer: ServerProcess) => {
      for (const batch of batches) {
        const data = randomFloats(batch * rowElements(IMAGE_ROW), 3);
        const { bytes, check } = encoded(data, [batch, ...IMAGE_ROW]);
        for (const c of concurrency) {
          const callers = Array.from({ length: c }, () => grpcCaller(grpcServer.url));
          let next = 0;
          let expected: number | undefined;
          const grpcOnce = async () => {
            const answer = await callers[next++ % c]!.call(bytes);
            if (expected === undefined) {
              check(answer);
              expected = answer.length;
            } else if (answer.length !== expected) throw new Error('a gRPC answer of another length');
            return batch;
          };
          const graphpipe = largeClient('graphpipe', graphpipeServer.url, batch, c);
          const totals = { grpc: { rows: 0, seconds: 0 }, graphpipe: { rows: 0, seconds: 0 } };
          try {
            for (let round = 0; round < rounds; round++) {
              for (const [name, once] of [
                ['grpc', grpcOnce],
                ['graphpipe', graphpipe.once],
              ] as const) {
                const r = await drive(
                  {
                    concurrency: c,
                    durationMs: durationMs / rounds,
                    minRequestsPerClient: Math.ceil(minRequestsPerClient / rounds),
                    maxRequests: Math.ceil(maxRequests / rounds),
                    warmupPerClient: round === 0 ? 1 : 0,
                  },
                  once,
                );
                totals[name].rows += r.rows;
                totals[name].seconds += r.seconds;
                tick(`large batch ${batch} x${c}: ${name} round ${round + 1}/${rounds}`);
              }
            }
          } finally {
            for (const caller of callers) caller.close();
            graphpipe.close();
          }
          const grpcRows = totals.grpc.rows / totals.grpc.seconds;
          const graphpipeRows = totals.graphpipe.rows / totals.graphpipe.seconds;
          cells.push({
            batch,
            concurrency: c,
            grpcRowsPerSec: grpcRows,
            graphpipeRowsPerSec: graphpipeRows,
            ratio: grpcRows / graphpipeRows,
          });
        }
      }
    }),
  );
  return cells;
}

/** The gRPC cells of the tiers asked for; `small` is the small tier's results of this run, when it ran. */
export async function runGrpc(
  config: BenchConfig,
  tiers: ReadonlySet<string>,
  small: SmallResults | undefined,
): Promise<GrpcResults> {
  const { concurrency, rounds } = config.large;
  // The grpc tier runs the small and the large cells (each with its baselines) without the tiers they sit beside.
  const withSmall = tiers.has('small') || tiers.has('grpc');
  const withLarge = tiers.has('large') || tiers.has('grpc');
  const missing = h2loadMissing();
  const largeSteps = grpcBatches(config).length * concurrency.length * rounds;
  const h2loadSteps = missing ? 0 : (withSmall ? config.small.h2loadRounds : 0) + (withLarge ? largeSteps : 0);
  const steps = (withSmall ? 2 : 0) + (withLarge ? largeSteps * 2 : 0) + h2loadSteps;
  const bar = progress('e2e-grpc', steps, config.progress);
  try {
    const tick = (l: string) => bar.tick(l);
    const h2load = missing
      ? { skipped: missing }
      : {
          small: withSmall ? await runSmallH2load(config, tick) : undefined,
          large: withLarge ? await runLargeH2load(config, tick) : undefined,
        };
    return {
      h2load,
      small: withSmall ? await runSmallGrpc(config, small, tick) : undefined,
      large: withLarge ? await runLargeGrpc(config, tick) : undefined,
    };
  } finally {
    bar.stop();
  }
}
