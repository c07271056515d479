import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { RemoteModel } from '@graphpipe/client';
import { GraphPipeError, tensor } from '@graphpipe/protocol';
import { serve } from '@graphpipe/server-core/node';
import { backendConformanceCases } from '@graphpipe/server-core/testing';
import { modelPath, REPO_ROOT, rejection } from '@graphpipe/test-utils';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../src/index.js';
import { WorkerPool } from '../src/workers/worker-pool.js';
import type { RunRequest } from '../src/workers/worker-protocol.js';
import { workerInit } from '../src/workers/worker-runner.js';
import { spawnSessionWorker } from '../src/workers/worker-script.js';
import { floats, infer } from './helpers.js';

const CONV = modelPath('tiny-conv.onnx');

const images = (batch: number) => tensor(floats(batch * 3 * 32 * 32, batch), [batch, 3, 32, 32], 'float32');
const live = () => new AbortController().signal;

/** A conv run long enough (tens to hundreds of ms) to watch the event loop during it. */
const BIG_BATCH = 4096;

describe.each(['iris-classifier', 'two-in-two-out', 'identity-dtypes'])(
  'backend conformance with workers: 1: %s',
  (model) => {
    for (const c of backendConformanceCases(() => createOnnxBackend(modelPath(`${model}.onnx`), { workers: 1 })))
      test(c.name, c.run);
  },
);

describe('results with workers equal results in-thread', () => {
  let inThread: OnnxBackend;
  let pooled: OnnxBackend;
  beforeAll(async () => {
    [inThread, pooled] = await Promise.all([createOnnxBackend(CONV), createOnnxBackend(CONV, { workers: 2 })]);
  });
  afterAll(() => Promise.all([inThread.close(), pooled.close()]));

  test.each([1, 5, 64, 300])('conv, batch %i', async (batch) => {
    const x = images(batch);
    expect(await infer(pooled, { image: x })).toEqual(await infer(inThread, { image: x }));
  });

  test('the input tensors are left intact (copied, not moved to a worker)', async () => {
    const x = images(3);
    await infer(pooled, { image: x });
    expect(x.data).toEqual(images(3).data);
  });

  interface Posted {
    readonly data: unknown;
    /** Taken before posting: a moved buffer is empty afterwards. */
    readonly bufferBytes: number;
    readonly transfer: readonly unknown[];
  }

  /** What was posted to a worker during `run`, for the input called `name`. */
  async function posted(name: string, run: () => Promise<unknown>): Promise<Posted[]> {
    const seen: Posted[] = [];
    const post = Worker.prototype.postMessage;
    const spy = vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (
      this: Worker,
      request,
      transfer,
    ) {
      const { data } = (request as RunRequest).feeds[name]!;
      seen.push({ data, bufferBytes: (data as Float32Array).buffer.byteLength, transfer: [...(transfer ?? [])] });
      post.call(this, request, transfer);
    });
    try {
      await run();
      return seen;
    } finally {
      spy.mockRestore();
    }
  }

  test('an input in a SharedArrayBuffer is shared with the worker, not copied', async () => {
    const x = images(4);
    const shared = new Float32Array(new SharedArrayBuffer(x.data.byteLength));
    shared.set(x.data as Float32Array);
    let out: unknown;
    const [sent] = await posted('image', async () => {
      out = await infer(pooled, { image: tensor(shared, x.shape, 'float32') });
    });
    expect(sent).toMatchObject({ data: shared, transfer: [] });
    expect(out).toEqual(await infer(inThread, { image: x }));
  });

  test('any other input: only its own bytes are copied, and the copy is moved', async () => {
    // A view into a larger buffer, as a request's tensors are views into its body.
    const x = images(2);
    const body = new Uint8Array(x.data.byteLength + 64);
    const view = new Float32Array(body.buffer, 32, x.data.length);
    view.set(x.data as Float32Array);
    const [sent] = await posted('image', () => infer(pooled, { image: tensor(view, x.shape, 'float32') }));
    expect(sent!.bufferBytes).toBe(x.data.byteLength);
    expect(sent!.transfer).toEqual([(sent!.data as Float32Array).buffer]);
    expect(view).toEqual(x.data); // the caller's memory is untouched
  });

  test('served, a request reaches the worker in shared memory: nothing is copied on the event loop', async () => {
    expect(pooled.sharedInputs).toBe(true);
    expect(inThread.sharedInputs).toBe(false);
    // Served without handing over the shared backend: closing the server must not close it.
    const { metadata, defaultOutputs, concurrency, sharedInputs } = pooled;
    const view = { metadata, defaultOutputs, concurrency, sharedInputs, infer: pooled.infer.bind(pooled) };
    const server = await serve(view, { port: 0, logger: false });
    try {
      const x = images(3);
      let out: unknown;
      const [sent] = await posted('image', async () => {
        out = (await new RemoteModel(server.url).infer({ image: x })).outputs;
      });
      expect((sent!.data as Float32Array).buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(sent!.transfer).toEqual([]);
      expect(out).toEqual(Object.values(await infer(inThread, { image: x })));
    } finally {
      await server.close();
    }
  });

  test('two runs at once on two workers', async () => {
    const [a, b] = [images(200), images(201)];
    const [pa, pb] = await Promise.all([infer(pooled, { image: a }), infer(pooled, { image: b })]);
    expect(pa).toEqual(await infer(inThread, { image: a }));
    expect(pb).toEqual(await infer(inThread, { image: b }));
  });
});

test('only the second output: named right in the worker too', async () => {
  const backend = await createOnnxBackend(modelPath('two-in-two-out.onnx'), { workers: 1 });
  const out = await infer(
    backend,
    { a: tensor(new Float32Array([2, 3, 4]), [1, 3]), b: tensor(new Float32Array([5, 6, 7]), [1, 3]) },
    ['product'],
  );
  await backend.close();
  expect(out).toEqual({ product: { dtype: 'float32', shape: [1, 3], data: new Float32Array([10, 18, 28]) } });
});

test('the event loop keeps ticking during a long run with workers, and does not without', async () => {
  const ticksDuring = async (backend: OnnxBackend) => {
    const x = images(BIG_BATCH);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const start = performance.now();
    await infer(backend, { image: x });
    const possible = (performance.now() - start) / 5;
    clearInterval(timer);
    await backend.close();
    return { ticks, possible };
  };
  const without = await ticksDuring(await createOnnxBackend(CONV));
  const withWorkers = await ticksDuring(await createOnnxBackend(CONV, { workers: 1 }));
  // Without workers the run blocks the loop: at most a tick before it starts, though it lasts long enough for many.
  expect(without.possible).toBeGreaterThan(8);
  expect(without.ticks).toBeLessThanOrEqual(2);
  // With them, a good share of the possible ticks happen even on a busy two-core machine.
  expect(withWorkers.ticks).toBeGreaterThanOrEqual(Math.max(5, withWorkers.possible * 0.25));
});

describe('errors', () => {
  let inThread: OnnxBackend;
  let pooled: OnnxBackend;
  const row = (n: number) => tensor(new Float32Array(n * 3), [n, 3]);
  beforeAll(async () => {
    [inThread, pooled] = await Promise.all([
      createOnnxBackend(modelPath('two-in-two-out.onnx')),
      createOnnxBackend(modelPath('two-in-two-out.onnx'), { workers: 1 }),
    ]);
  });
  afterAll(() => Promise.all([inThread.close(), pooled.close()]));

  test('a run failing in a worker gives the same GraphPipeError as in-thread', async () => {
    const inputs = { a: row(2), b: row(5) };
    const [ours, theirs] = [
      await rejection<GraphPipeError>(infer(pooled, inputs)),
      await rejection<GraphPipeError>(infer(inThread, inputs)),
    ];
    expect(ours).toBeInstanceOf(GraphPipeError);
    expect({ code: ours.code, message: ours.message }).toEqual({ code: 'INVALID_ARGUMENT', message: theirs.message });
    // The worker still serves.
    expect((await infer(pooled, { a: row(1), b: row(1) })).sum!.shape).toEqual([1, 3]);
  });

  test('an already aborted request does not run', async () => {
    const controller = new AbortController();
    controller.abort();
    expect(
      (
        await rejection<GraphPipeError>(
          pooled.infer({ a: row(1), b: row(1) }, [], { config: '', signal: controller.signal }),
        )
      ).code,
    ).toBe('ABORTED');
  });

  test.each([
    ['bytes', new Uint8Array([1, 2, 3]), /^cannot load ONNX model \(3 bytes\): .*protobuf/],
    ['a path', modelPath('no-such-model.onnx'), /^cannot load ONNX model \(.*no-such-model\.onnx\): /],
  ])('a model that cannot load (%s) fails createOnnxBackend as it does without workers', async (_, source, message) => {
    const [ours, theirs] = [
      await rejection<GraphPipeError>(createOnnxBackend(source, { workers: 2 })),
      await rejection<GraphPipeError>(createOnnxBackend(source)),
    ];
    expect(ours).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(message) });
    expect(ours.message).toBe(theirs.message);
  });

  test('workers must be a non-negative integer; concurrency defaults to it', async () => {
    await expect(createOnnxBackend(CONV, { workers: -1 })).rejects.toThrow(TypeError);
    await expect(createOnnxBackend(CONV, { workers: 1.5 })).rejects.toThrow(TypeError);
    expect(pooled.concurrency).toBe(1);
    const two = await createOnnxBackend(CONV, { workers: 2 });
    const custom = await createOnnxBackend(CONV, { workers: 2, concurrency: 5 });
    expect([two.concurrency, custom.concurrency]).toEqual([2, 5]);
    await Promise.all([two.close(), custom.close()]);
  });
});

describe('loading', () => {
  test.each(['tiny-conv', 'bool-io', 'identity-dtypes'])(
    '%s: the metadata with workers equals the in-thread one',
    async (name) => {
      const [inThread, pooled] = await Promise.all([
        createOnnxBackend(modelPath(`${name}.onnx`)),
        createOnnxBackend(modelPath(`${name}.onnx`), { workers: 1 }),
      ]);
      expect(pooled.metadata).toEqual(inThread.metadata);
      expect(pooled.defaultOutputs).toEqual(inThread.defaultOutputs);
      await Promise.all([inThread.close(), pooled.close()]);
    },
  );

  test('with workers, only the workers load the model, not the calling thread too', async () => {
    const create = vi.spyOn(InferenceSession, 'create');
    try {
      const backend = await createOnnxBackend(CONV, { workers: 2 });
      expect(create).not.toHaveBeenCalled();
      expect((await infer(backend, { image: images(2) })).scores!.shape).toEqual([2, 10]);
      await backend.close();
    } finally {
      create.mockRestore();
    }
  });
});

describe('the queue', () => {
  test('runs wait in FIFO order while the worker is busy; an aborted one is dropped as ABORTED', async () => {
    const backend = await createOnnxBackend(CONV, { workers: 1, concurrency: 3 });
    const order: string[] = [];
    const run = (name: string, batch: number, signal = live()) =>
      backend.infer({ image: images(batch) }, [], { config: '', signal }).then(
        () => order.push(name),
        (err: GraphPipeError) => order.push(`${name}: ${err.code}`),
      );
    const controller = new AbortController();
    const runs = [run('a', BIG_BATCH), run('b', 1, controller.signal), run('c', 2), run('d', 3)];
    controller.abort();
    await Promise.all(runs);
    await backend.close();
    expect(order).toEqual(['b: ABORTED', 'a', 'c', 'd']);
  });

  test('close() fails queued runs with UNAVAILABLE, lets the running one finish, and is idempotent', async () => {
    const backend = await createOnnxBackend(CONV, { workers: 1 });
    const running = infer(backend, { image: images(BIG_BATCH) });
    const queued = rejection<GraphPipeError>(infer(backend, { image: images(1) }));
    const closing = backend.close();
    expect((await queued).code).toBe('UNAVAILABLE');
    expect((await running).scores!.shape).toEqual([BIG_BATCH, 10]);
    await Promise.all([closing, backend.close()]);
    expect((await rejection<GraphPipeError>(infer(backend, { image: images(1) }))).code).toBe('UNAVAILABLE');
  });
});

describe('the pool', () => {
  const request = (batch: number): RunRequest => {
    const x = images(batch);
    return { feeds: { image: { type: 'float32', dims: x.shape, data: x.data } }, fetched: ['scores'] };
  };

  test('two requests occupy two workers at once', async () => {
    let busy = 0;
    let mostBusy = 0;
    const init = workerInit(CONV, {});
    const { pool } = await WorkerPool.start(2, () => {
      const worker = spawnSessionWorker(init);
      const post = worker.postMessage.bind(worker);
      worker.postMessage = (message, transfer) => {
        mostBusy = Math.max(mostBusy, ++busy);
        post(message, transfer);
      };
      worker.on('message', (reply: { kind: string }) => {
        if (reply.kind !== 'ready') busy--;
      });
      return worker;
    });
    await Promise.all([pool.run(request(64), [], live()), pool.run(request(64), [], live())]);
    await pool.close();
    expect(mostBusy).toBe(2);
  });

  test('a worker that dies during a run fails the run with INTERNAL and is replaced', async () => {
    const workers: Worker[] = [];
    const init = workerInit(readFileSync(CONV), {}); // bytes: shared by the worker and its replacement
    const { pool } = await WorkerPool.start(1, () => {
      const worker = spawnSessionWorker(init);
      // The first dies as it is handed a run, before onnxruntime starts it: a thread ended while
      // onnxruntime runs would abort the whole process once the run returns.
      if (workers.length === 0) worker.postMessage = () => void worker.terminate();
      workers.push(worker);
      return worker;
    });
    const running = rejection<GraphPipeError>(pool.run(request(64), [], live()));
    const waiting = pool.run(request(2), [], live());
    expect(await running).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^the ONNX worker running this request stopped/),
    });
    expect((await waiting).scores!.dims).toEqual([2, 10]);
    expect(workers).toHaveLength(2);
    await pool.close();
  });
});

test('a script using workers exits after close(), and without it too', async () => {
  const script = (close: boolean) => `
    import { createOnnxBackend } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};
    const backend = await createOnnxBackend(${JSON.stringify(modelPath('iris-classifier.onnx'))}, { workers: 2 });
    const features = { dtype: 'float32', shape: [1, 4], data: new Float32Array(4) };
    const out = await backend.infer({ features }, [], { config: '', signal: new AbortController().signal });
    console.log(out.label.dtype);
    ${close ? 'await backend.close();' : ''}`;
  const run = (close: boolean) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script(close)], {
      cwd: REPO_ROOT,
      timeout: 20_000,
    });
  const [closed, open] = await Promise.all([run(true), run(false)]);
  expect(closed.stdout).toBe('int64\n');
  expect(open.stdout).toBe('int64\n');
});
