import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { GraphPipeError, tensor } from '@graphpipe/protocol';
import { modelPath, rejection } from '@graphpipe/test-utils';
import { expect, test } from 'vitest';
import { createOnnxBackend } from '../src/index.js';
import { WorkerPool } from '../src/workers/worker-pool.js';
import type { RunRequest } from '../src/workers/worker-protocol.js';
import { workerInit } from '../src/workers/worker-runner.js';
import { spawnSessionWorker } from '../src/workers/worker-script.js';
import { infer } from './helpers.js';

/** busy-loop adds 1 to a counter as many times as asked, about a microsecond each. */
const LOOP = modelPath('busy-loop.onnx');
/** A run of a few seconds on a 2-core VM: far beyond TIMEOUT_MS, yet over before the test ends. */
const LONG = 1_500_000;
const TIMEOUT_MS = 250;

const counting = (n: number) => ({ iterations: tensor(BigInt64Array.of(BigInt(n)), [], 'int64') });
const request = (n: number): RunRequest => ({
  feeds: { iterations: { type: 'int64', dims: [], data: BigInt64Array.of(BigInt(n)) } },
  fetched: ['count'],
});
const live = () => new AbortController().signal;

test('a run longer than runTimeoutMs fails with DEADLINE_EXCEEDED, and later runs succeed', async () => {
  const backend = await createOnnxBackend(LOOP, { workers: 1, runTimeoutMs: TIMEOUT_MS });
  expect(await rejection<GraphPipeError>(infer(backend, counting(LONG)))).toMatchObject({
    code: 'DEADLINE_EXCEEDED',
    message: `the ONNX run took longer than runTimeoutMs (${TIMEOUT_MS} ms); its worker was replaced`,
  });
  // The one worker is still inside that run: a new one answers.
  expect((await infer(backend, counting(3))).count!.data).toEqual(BigInt64Array.of(3n));
  await backend.close();
});

test('the stuck worker is replaced at once, and terminated once its run returns', async () => {
  const workers: Worker[] = [];
  const init = workerInit(LOOP, {});
  const spawn = () => workers[workers.push(spawnSessionWorker(init)) - 1]!;
  const { pool } = await WorkerPool.start(1, spawn, { runTimeoutMs: TIMEOUT_MS });
  const stuckExit = once(workers[0]!, 'exit');
  expect((await rejection<GraphPipeError>(pool.run(request(LONG), [], live()))).code).toBe('DEADLINE_EXCEEDED');
  expect(workers).toHaveLength(2);
  expect((await pool.run(request(5), [], live())).count!.data).toEqual(BigInt64Array.of(5n));
  expect(await stuckExit).toEqual([1]); // the exit code of a terminated worker
  await pool.close();
});

test('close() during a run that then times out waits for that worker to end', async () => {
  const backend = await createOnnxBackend(LOOP, { workers: 1, runTimeoutMs: TIMEOUT_MS });
  const running = rejection<GraphPipeError>(infer(backend, counting(LONG)));
  await backend.close();
  expect((await running).code).toBe('DEADLINE_EXCEEDED');
});

test('runTimeoutMs is a positive number of milliseconds, and needs workers', async () => {
  await expect(createOnnxBackend(LOOP, { runTimeoutMs: 100 })).rejects.toThrow(/^runTimeoutMs needs workers/);
  for (const runTimeoutMs of [0, -1, Number.NaN, 2 ** 31])
    await expect(createOnnxBackend(LOOP, { workers: 1, runTimeoutMs })).rejects.toThrow(TypeError);
});

test("a run whose request's deadline passes is abandoned: its worker replaced, the next run answers", async () => {
  const workers: Worker[] = [];
  const init = workerInit(LOOP, {});
  const spawn = () => workers[workers.push(spawnSessionWorker(init)) - 1]!;
  const { pool } = await WorkerPool.start(1, spawn);
  const stuckExit = once(workers[0]!, 'exit');
  const caller = new AbortController();
  // Taken by the one worker at once: it is running when the deadline passes.
  const running = rejection<GraphPipeError>(pool.run(request(LONG), [], caller.signal));
  const passed = new GraphPipeError('DEADLINE_EXCEEDED', "the request's deadline passed");
  caller.abort(passed);
  expect(await running).toBe(passed);
  expect(workers).toHaveLength(2);
  expect((await pool.run(request(5), [], live())).count!.data).toEqual(BigInt64Array.of(5n));
  expect(await stuckExit).toEqual([1]);
  await pool.close();
});

test('a caller that leaves mid-run does not cost a worker: the run finishes on it', async () => {
  const workers: Worker[] = [];
  const init = workerInit(LOOP, {});
  const spawn = () => workers[workers.push(spawnSessionWorker(init)) - 1]!;
  const { pool } = await WorkerPool.start(1, spawn);
  const caller = new AbortController();
  const running = pool.run(request(20_000), [], caller.signal);
  // Taken by the one worker at once: it is running when the caller leaves.
  caller.abort(new GraphPipeError('ABORTED', 'the client went away'));
  expect((await running).count!.data).toEqual(BigInt64Array.of(20_000n));
  expect(workers).toHaveLength(1);
  await pool.close();
});
