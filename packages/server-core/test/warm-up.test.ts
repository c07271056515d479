// Warm-up: the runs a model gets as it loads, before readiness, the index and requests see it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Tensor, tensor } from '@graphpipe/protocol';
import {
  type Backend,
  createFetchHandler,
  createFunctionBackend,
  createServerCore,
  type FunctionBackendOptions,
} from '@graphpipe/server-core';
import { ModelRepository } from '@graphpipe/server-core/node';
import { pino } from 'pino';
import { afterAll, expect, test, vi } from 'vitest';
import { type FetchHandler, type Runtime, serveOn } from '../src/runtimes/runtime-serve.js';
import { gate, getJson, useServers } from './helpers.js';

const start = useServers();

/** A backend that records the inputs of every call. */
function recording(options: FunctionBackendOptions, answer?: (inputs: Readonly<Record<string, Tensor>>) => Tensor) {
  const calls: Readonly<Record<string, Tensor>>[] = [];
  const backend = createFunctionBackend((inputs) => {
    calls.push(inputs);
    return answer ? answer(inputs) : Object.values(inputs)[0]!;
  }, options);
  return { backend, calls };
}

const plain = (t: Tensor) => ({ dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data as ArrayLike<unknown>) });

test("serve() warms each model up before it listens, on the model's examples, once per slot per round, uncounted", async () => {
  const example = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]);
  const { backend, calls } = recording({
    name: 'warm',
    concurrency: 3,
    inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }],
    examples: { x: example },
  });
  const { url } = await start(backend, { warmup: 2 });
  expect(calls).toHaveLength(6);
  for (const call of calls) expect(plain(call.x!)).toEqual(plain(example));
  const { body } = await getJson<{ model_stats: { inference_count: number }[] }>(`${url}/v2/models/warm/stats`);
  expect(body.model_stats[0]!.inference_count).toBe(0);
});

test('without examples it warms up on zeros and text of the declared shapes: unknown sizes 1, or the batch size', async () => {
  const inputs: FunctionBackendOptions['inputs'] = [
    { name: 'a', dtype: 'float32', shape: [-1, 3] },
    { name: 's', dtype: 'string', shape: [-1, 2] },
    { name: 'n', dtype: 'int64', shape: [2, -1] },
    { name: 'any' },
  ];
  const seen = (calls: Readonly<Record<string, Tensor>>[]) =>
    Object.fromEntries(Object.entries(calls[0]!).map(([name, t]) => [name, plain(t)]));

  const alone = recording({ name: 'alone', concurrency: 1, inputs });
  await start(alone.backend, { warmup: 1 });
  expect(seen(alone.calls)).toEqual({
    a: { dtype: 'float32', shape: [1, 3], data: [0, 0, 0] },
    s: { dtype: 'string', shape: [1, 2], data: ['warm-up', 'warm-up'] },
    n: { dtype: 'int64', shape: [2, 1], data: [0n, 0n] },
    any: { dtype: 'float32', shape: [1], data: [0] },
  });

  const batched = recording({ name: 'batched', concurrency: 1, inputs });
  await start(batched.backend, { warmup: 1, batching: { maxBatchSize: 4, maxDelayMs: 1 } });
  expect(seen(batched.calls)).toMatchObject({
    a: { shape: [4, 3] },
    s: { shape: [4, 2] },
    n: { shape: [2, 1] },
    any: { shape: [4] },
  });
});

test('a failing warm-up fails serve() with the reason', async () => {
  const backend = createFunctionBackend(
    () => {
      throw new Error('kernel compilation failed');
    },
    { name: 'broken' },
  );
  await expect(start(backend, { warmup: 1 })).rejects.toThrow(
    'model "broken" version 1 failed its warm-up: internal error: kernel compilation failed',
  );
});

test('while a model warms up (web entry): not ready, LOADING, requests told to retry; then ready', async () => {
  const hold = gate();
  const backend = createFunctionBackend(
    async (inputs) => {
      await hold.promise;
      return inputs.input0!;
    },
    { name: 'slow-start', concurrency: 1 },
  );
  const core = createServerCore(backend, { warmup: 1 });
  const handle = createFetchHandler(core);
  const get = (path: string) => handle(new Request(`http://server${path}`));
  const infer = () =>
    handle(
      new Request('http://server/v2/models/slow-start/infer', {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'input0', shape: [1], datatype: 'FP32', data: [1] }] }),
      }),
    );
  for (const path of ['/readyz', '/control/is_ready', '/v2/health/ready', '/v2/models/slow-start/ready'])
    expect((await get(path)).status, path).toBe(503);
  expect(await (await get('/models')).json()).toEqual([
    { name: 'slow-start', versions: [{ version: '1', state: 'LOADING' }] },
  ]);
  const early = await infer();
  expect(early.status).toBe(503);
  expect(await early.text()).toMatch(/is loading; retry shortly/);

  hold.open();
  await core.models.warmedUp();
  for (const path of ['/readyz', '/control/is_ready', '/v2/health/ready', '/v2/models/slow-start/ready'])
    expect((await get(path)).status, path).toBe(200);
  expect((await infer()).status).toBe(200);
  await core.close();
});

/** A repository whose "ONNX files" hold a word: `ok <k>` answers k; `broken` loads, then fails every run. */
const importer = async (name: string) => {
  if (name !== '@graphpipe/backend-onnx') return import(name);
  return {
    readModelHeader: () => ({ metadataProps: new Map() }),
    async createOnnxBackend(path: string, options: { name?: string }): Promise<Backend> {
      const { readFile } = await import('node:fs/promises');
      const [word, k] = (await readFile(path, 'utf8')).split(' ');
      return createFunctionBackend(
        () => {
          if (word === 'broken') throw new Error('the kernel for this device is missing');
          return tensor(new Float32Array([Number(k)]), [1]);
        },
        { name: options.name, inputs: [{ name: 'x', dtype: 'float32', shape: [-1] }] },
      );
    },
  };
};

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

test("a repository model's config asks for warm-up; a reload whose warm-up fails leaves the old version serving, and says why", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'graphpipe-warm-up-'));
  dirs.push(dir);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, 'adder', '1'), { recursive: true });
  await writeFile(join(dir, 'adder', 'config.yaml'), 'warmup: 2\n');
  await writeFile(join(dir, 'adder', '1', 'model.onnx'), 'ok 7');
  const repository = new ModelRepository(dir, { importer, watch: false });
  const server = await start([], { repository, adminToken: 'admin' });
  const admin = (path: string, body = '') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: 'Bearer admin' }, body });
  const infer = async () => {
    const res = await fetch(`${server.url}/v2/models/adder/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [0] }] }),
    });
    return ((await res.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
  };
  expect(await infer()).toEqual([7]);

  await writeFile(join(dir, 'adder', '1', 'model.onnx'), 'broken');
  const load = await admin('/v2/repository/models/adder/load');
  expect(load.status).toBe(400);
  expect(await load.text()).toMatch(
    /failed to load model \\"adder\\": version 1: model \\"adder\\" version 1 failed its warm-up: .*the kernel for this device is missing/,
  );
  expect(await infer()).toEqual([7]);
  const index = (await (await admin('/v2/repository/index')).json()) as { state: string; reason?: string }[];
  expect(index).toEqual([
    { name: 'adder', version: '1', state: 'READY', reason: expect.stringMatching(/failed its warm-up/) },
  ]);
});

test('where serve() returns at once (Bun, Deno), models warm up behind it; a failed warm-up is logged and the model unavailable', async () => {
  const lines: string[] = [];
  const logger = pino({}, { write: (line: string) => lines.push(line) });
  let handler: FetchHandler | undefined;
  const runtime: Runtime<null> = {
    listen(fetchHandler) {
      handler = fetchHandler;
      return { server: null, port: 1, listener: { stopAccepting: async () => {}, closeAll: async () => {} } };
    },
    onSignal() {},
    exit() {},
  };
  const broken = createFunctionBackend(
    () => {
      throw new Error('no kernel for this device');
    },
    { name: 'broken' },
  );
  const handle = await serveOn(runtime, broken, { warmup: 1, logger, metrics: false });
  await expect(handle.core.models.warmedUp()).rejects.toThrow(/failed its warm-up/);
  await vi.waitFor(() =>
    expect(lines.join('')).toMatch(/failed its warm-up: internal error: no kernel for this device/),
  );
  const ready = await handler!(new Request('http://server/v2/models/broken/ready'));
  expect(ready.status).toBe(503);
  expect(await ready.text()).toMatch(/failed to load: model \\"broken\\" version 1 failed its warm-up/);
  await handle.close();
});
