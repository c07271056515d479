/**
 * Real-model tier: an ONNX model served by our server (client -> HTTP -> onnx backend, in a
 * child process) against onnxruntime's session.run in this process on the same batch, rows/s.
 * The full run uses the ResNet-18-shaped model (compute-bound, built on demand); --quick a tiny
 * one. A third path measures the transport alone (the same request bytes to a bare node:http
 * server answering as many bytes as the model does), so the report can say how much of the
 * gap is moving bytes and how much is the server: floor = transport time + in-process time.
 * Then many single-row clients at once call the served model with dynamic batching off and on:
 * rows/s and latency. Skipped, with the reason, when the model or the ONNX backend is not available.
 */
import { existsSync } from 'node:fs';
import { RemoteModel } from '@graphpipe/client';
import { encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import * as ort from 'onnxruntime-node';
import type { BenchConfig } from './config.js';
import { randomFloats } from './data.js';
import { ensureResNet18 } from '../../packages/backend-onnx/scripts/resnet18.js';
import { drive } from './drive.js';
import { progress } from './progress.js';
import type { BatchingRow, ModelResults } from './results.js';
import { type ServerProcess, startServer } from './server-process.js';

const ROUNDS = 3;

export async function runRealModel(config: BenchConfig): Promise<ModelResults> {
  const { batch } = config.model;
  const path = config.model.path === 'resnet18' ? ensureResNet18() : config.model.path;
  const model = path.split('/').pop()!;
  if (!existsSync(path)) return { skipped: true, reason: `model file ${path} does not exist` };

  let server: ServerProcess | undefined;
  let sink: ServerProcess | undefined;
  let session: ort.InferenceSession | undefined;
  const bar = progress('real-model', 3 * ROUNDS + 2, config.progress);
  try {
    session = await ort.InferenceSession.create(path);
    try {
      server = await startServer('graphpipe-onnx', [path], 60_000);
    } catch (err) {
      return { skipped: true, reason: `the ONNX backend server did not start: ${(err as Error).message}` };
    }
    const inputName = session.inputNames[0]!;
    const outputName = session.outputNames[0]!;
    const meta = session.inputMetadata[0] as { shape?: readonly (number | string)[] } | undefined;
    const rowShape = (meta?.shape ?? [-1, 3, 32, 32]).slice(1).map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    const shape = [batch, ...rowShape];
    const data = randomFloats(
      shape.reduce((a, b) => a * b, 1),
      4,
    );

    const remote = new RemoteModel(server.url);
    const input = { [inputName]: tensor(data, shape) };
    const viaServer = async () => {
      const { outputs } = await remote.infer(input, { outputNames: [outputName] });
      return outputs[0]!.shape[0]!;
    };
    const feeds = { [inputName]: new ort.Tensor('float32', data, shape) };
    const inProcess = async () => {
      const out = await session!.run(feeds);
      return out[outputName]!.dims[0]!;
    };

    // Same answers both ways, or the comparison means nothing.
    const a = (await remote.infer(input, { outputNames: [outputName] })).outputs[0]!.data as Float32Array;
    const requestBytes = encodeInferRequest({ inputs: [input[inputName]!], outputNames: [outputName] });
    const answerBytes = encodeInferResponse({ outputs: [tensor(a, [batch, a.length / batch])] }).length;
    sink = await startServer('bare-sink', [String(answerBytes)]);
    const sinkUrl = sink.url;
    const transportOnly = async () => {
      const res = await fetch(sinkUrl, { method: 'POST', body: requestBytes });
      await res.arrayBuffer();
      return batch;
    };
    const b = (await session.run(feeds))[outputName]!.data as Float32Array;
    if (a.length !== b.length) throw new Error(`server answered ${a.length} values, in-process ${b.length}`);
    let maxAbsDiff = 0;
    for (let i = 0; i < a.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(a[i]! - b[i]!));
    if (!(maxAbsDiff < 1e-3)) throw new Error(`server and in-process outputs differ by up to ${maxAbsDiff}`);

    const opts = {
      concurrency: 1,
      durationMs: config.model.durationMs / ROUNDS,
      minRequestsPerClient: Math.ceil(config.model.minRequests / ROUNDS),
      maxRequests: 100_000,
    };
    const totals = {
      server: { rows: 0, seconds: 0, n: 0 },
      local: { rows: 0, seconds: 0, n: 0 },
      transport: { rows: 0, seconds: 0, n: 0 },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, fn] of [
        ['server', viaServer],
        ['local', inProcess],
        ['transport', transportOnly],
      ] as const) {
        const r = await drive({ ...opts, warmupPerClient: round === 0 ? 2 : 0 }, fn);
        totals[key].rows += r.rows;
        totals[key].seconds += r.seconds;
        totals[key].n += r.requests;
        bar.tick(`${key} round ${round + 1}/${ROUNDS}`);
      }
    }
    // The batching comparison starts servers of its own: this one must not compete with them.
    await server.close();
    server = undefined;
    const batching = await compareBatching(path, inputName, rowShape, config, () => bar.tick('batching'));
    const serverRowsPerSec = totals.server.rows / totals.server.seconds;
    const inProcessRowsPerSec = totals.local.rows / totals.local.seconds;
    const transportRowsPerSec = totals.transport.rows / totals.transport.seconds;
    // Seconds per row add up: moving the bytes, then computing on them.
    const floorRowsPerSec = 1 / (1 / transportRowsPerSec + 1 / inProcessRowsPerSec);
    return {
      skipped: false,
      model,
      batch,
      serverRowsPerSec,
      inProcessRowsPerSec,
      ratio: serverRowsPerSec / inProcessRowsPerSec,
      transportRowsPerSec,
      floorRowsPerSec,
      ratioToFloor: serverRowsPerSec / floorRowsPerSec,
      serverRequests: totals.server.n,
      inProcessRuns: totals.local.n,
      maxAbsDiff,
      batching,
    };
  } finally {
    bar.stop();
    await server?.close();
    await sink?.close();
    await session?.release();
  }
}

/**
 * Many single-row clients at once (what a model behind a busy API sees), against a server with
 * dynamic batching off, then on: rows/s and each request's latency.
 */
async function compareBatching(
  path: string,
  inputName: string,
  rowShape: readonly number[],
  config: BenchConfig,
  tick: () => void,
) {
  const { clients, maxBatchSize, maxDelayMs, durationMs } = config.model.batching;
  const shape = [1, ...rowShape];
  const row = {
    [inputName]: tensor(
      randomFloats(
        shape.reduce((a, b) => a * b, 1),
        7,
      ),
      shape,
    ),
  };
  const measure = async (batching?: { maxBatchSize: number; maxDelayMs: number }): Promise<BatchingRow> => {
    const options = { maxQueue: 2 * clients, ...(batching ? { batching } : {}) };
    const server = await startServer('graphpipe-onnx', [path, JSON.stringify(options)], 60_000);
    try {
      const remote = new RemoteModel(server.url);
      await Promise.all(Array.from({ length: clients }, () => remote.infer(row)));
      const latencies: number[] = [];
      const result = await drive(
        { concurrency: clients, durationMs, minRequestsPerClient: 1, maxRequests: 1_000_000, warmupPerClient: 0 },
        async () => {
          const started = performance.now();
          await remote.infer(row);
          latencies.push(performance.now() - started);
          return 1;
        },
      );
      latencies.sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
      return { rowsPerSec: result.rowsPerSec, requests: result.requests, p50Ms: at(0.5), p99Ms: at(0.99) };
    } finally {
      await server.close();
    }
  };
  const off = await measure();
  tick();
  const on = await measure({ maxBatchSize, maxDelayMs });
  tick();
  return { clients, maxBatchSize, maxDelayMs, off, on, ratio: on.rowsPerSec / off.rowsPerSec };
}
