/**
 * The Open Inference Protocol over gRPC against the other front doors, in the same run:
 * - small: 1x4 float32 ModelInfer calls (raw contents) from a closed loop of `small.connections`
 *   concurrent calls on one HTTP/2 connection (@grpc/grpc-js, as tritonclient.grpc holds one
 *   channel), against GraphPipe and REST v2 JSON from the small tier (autocannon, HTTP/1.1) and
 *   against GraphPipe from the same kind of Node closed loop (node:http, keep-alive), which
 *   tells the server's share from the load generator's;
 * - large: batches of 224x224x3 float32 rows as raw contents against GraphPipe from the large
 *   tier's load generator, rows/s, in alternating rounds on servers of their own.
 * Every first answer is decoded and checked; later ones must have the first one's length.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import {
  fromBinary,
  GRPCInferenceService,
  inferRequest,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  responseOutputs,
  toBinary,
} from '@graphpipe/protocol/grpc';
import type { BenchConfig } from './config.js';
import { IMAGE_ROW, randomFloats, rowElements } from './data.js';
import { drive } from './drive.js';
import { percentile } from './e2e-small.js';
import { largeClient } from './large-client.js';
import { progress } from './progress.js';
import type { GrpcLargeCell, GrpcResults, SmallResults } from './results.js';
import { type ServerProcess, withServer } from './server-process.js';

const VALUES = new Float32Array([5.1, 3.5, 1.4, 0.2]);
const INFER_PATH = `/${GRPCInferenceService.typeName}/${GRPCInferenceService.method.modelInfer.name}`;

/** One gRPC channel (one HTTP/2 connection) sending pre-encoded ModelInfer requests. */
function grpcCaller(url: string) {
  const client = new Client(url.replace('grpc://', ''), credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  const call = (bytes: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      client.makeUnaryRequest(
        INFER_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        new Metadata(),
        {},
        (err, answer) => (err ? reject(err) : resolve(answer!)),
      );
    });
  return { call, close: () => client.close() };
}

/** The request for `data` as a batch of rows, encoded once; the check of the first answer. */
function encoded(data: Float32Array, shape: readonly number[]) {
  const request = inferRequest({ modelName: 'identity', inputs: [{ name: 'input0', tensor: tensor(data, shape) }] });
  const bytes = Buffer.from(toBinary(ModelInferRequestSchema, request));
  const check = (answer: Buffer) => {
    const out = responseOutputs(fromBinary(ModelInferResponseSchema, answer))[0]!.tensor.data as Float32Array;
    const ends = [0, data.length >> 1, data.length - 1];
    if (out.length !== data.length || ends.some((i) => out[i] !== data[i])) {
      throw new Error('the gRPC server answered other values than it was sent');
    }
  };
  return { bytes, check };
}

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
  const input = tensor(VALUES, [1, 4]);
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
    const { bytes, check } = encoded(VALUES, [1, 4]);
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
  // The batches of the large tier that a message of gRPC's (and the server's default body limit) holds.
  const batches = config.large.batches.filter((b) => b * rowElements(IMAGE_ROW) * 4 < 256 * 1024 * 1024);
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

/**
 * Small requests from h2load, one process of C driving both servers the same way (small.connections clients, one
 * request in flight each): ModelInfer over h2c, and GraphPipe over HTTP/1.1 (`--h1`), in
 * alternating rounds. Skipped, saying why, without h2load (Debian: nghttp2-client).
 */
async function runSmallH2load(config: BenchConfig, tick: (l: string) => void): Promise<GrpcResults['h2load']> {
  const found = spawnSync('h2load', ['--version'], { encoding: 'utf8' });
  if (found.error) return { skipped: 'h2load is not on PATH (Debian: apt-get install nghttp2-client)' };
  const dir = mkdtempSync(join(tmpdir(), 'bench-h2load-'));
  try {
    const grpcBody = join(dir, 'grpc.bin');
    const { bytes } = encoded(VALUES, [1, 4]);
    // The gRPC frame: a flag byte (not compressed) and the message's length, then the message.
    const frame = Buffer.alloc(5 + bytes.length);
    frame.writeUInt32BE(bytes.length, 1);
    bytes.copy(frame, 5);
    writeFileSync(grpcBody, frame);
    const graphpipeBody = join(dir, 'graphpipe.bin');
    writeFileSync(graphpipeBody, encodeInferRequest({ inputs: [tensor(VALUES, [1, 4])] }));
    const { connections } = config.small;
    const requests = Math.max(2000, Math.round(config.small.durationSec * 2000));
    const run = (args: string[]) => {
      const r = spawnSync('h2load', ['-n', String(requests), '-c', String(connections), '-m', '1', ...args], {
        encoding: 'utf8',
      });
      const rate = /finished in [^,]+, ([\d.]+) req\/s/.exec(r.stdout ?? '');
      if (!rate || !/status codes: \d+ 2xx, 0 3xx, 0 4xx, 0 5xx/.test(r.stdout)) {
        throw new Error(`h2load failed: ${(r.stdout || r.stderr).trim().split('\n').slice(-3).join(' ')}`);
      }
      return Number(rate[1]);
    };
    return await withServer('graphpipe-grpc', (grpcServer) =>
      withServer('graphpipe-identity', async (graphpipeServer) => {
        const grpcUrl = `${grpcServer.url.replace('grpc://', 'http://')}${INFER_PATH}`;
        const grpcArgs = ['-H', 'content-type: application/grpc', '-H', 'te: trailers', '-d', grpcBody, grpcUrl];
        const graphpipeArgs = ['--h1', '-d', graphpipeBody, graphpipeServer.url];
        const rounds = { grpc: 0, graphpipe: 0 };
        for (let round = 0; round < 3; round++) {
          rounds.grpc += run(grpcArgs);
          rounds.graphpipe += run(graphpipeArgs);
        }
        tick('small: h2load');
        return {
          grpcRequestsPerSec: rounds.grpc / 3,
          graphpipeRequestsPerSec: rounds.graphpipe / 3,
          ratio: rounds.grpc / rounds.graphpipe,
        };
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The gRPC cells of the tiers asked for; `small` is the small tier's results of this run, when it ran. */
export async function runGrpc(
  config: BenchConfig,
  tiers: ReadonlySet<string>,
  small: SmallResults | undefined,
): Promise<GrpcResults> {
  const { batches, concurrency, rounds } = config.large;
  // The grpc tier runs both cells (each with its GraphPipe baseline) without the tiers they sit beside.
  const withSmall = tiers.has('small') || tiers.has('grpc');
  const withLarge = tiers.has('large') || tiers.has('grpc');
  const steps = (withSmall ? 3 : 0) + (withLarge ? batches.length * concurrency.length * rounds * 2 : 0);
  const bar = progress('e2e-grpc', steps, config.progress);
  try {
    const tick = (l: string) => bar.tick(l);
    return {
      small: withSmall ? await runSmallGrpc(config, small, tick) : undefined,
      large: withLarge ? await runLargeGrpc(config, tick) : undefined,
      h2load: withSmall ? await runSmallH2load(config, tick) : undefined,
    };
  } finally {
    bar.stop();
  }
}
