import { DTYPES, type DType, GraphPipeError, RemoteModel, type Tensor, tensor, typedArrayFor } from '@graphpipe/client';
import { type Backend, createFunctionBackend, type FunctionContext, ModelRegistry } from '@graphpipe/server-core';
import { describe, expect, test } from 'vitest';
import { gate, inferContext, useServers } from './helpers.js';

const start = useServers();

/** A backend that records the rows of each run, around a function of the inputs. */
function recorded(
  fn: (inputs: Readonly<Record<string, Tensor>>, context: FunctionContext) => Record<string, Tensor>,
  options: Parameters<typeof createFunctionBackend>[1] = {},
) {
  const runs: number[] = [];
  const backend = createFunctionBackend(async (inputs, context) => {
    runs.push(Object.values(inputs)[0]!.shape[0]!);
    return fn(inputs, context);
  }, options);
  return { backend, runs };
}

/** n rows of a dtype, counting from `from`. */
function rows(dtype: DType, n: number, from: number, width = 3): Tensor {
  const count = n * width;
  if (dtype === 'string')
    return tensor(
      Array.from({ length: count }, (_, i) => `s${from + i}`),
      [n, width],
      'string',
    );
  const data = new (typedArrayFor(dtype))(count);
  for (let i = 0; i < count; i++) {
    const v = (from + i) % 100;
    (data as unknown as unknown[])[i] = data instanceof BigInt64Array || data instanceof BigUint64Array ? BigInt(v) : v;
  }
  return tensor(data, [n, width], dtype);
}

const utf8 = new TextDecoder();
const plain = (t: Tensor) =>
  t.dtype === 'string'
    ? t.data.map((s) => (typeof s === 'string' ? s : utf8.decode(s)))
    : Array.from(t.data as ArrayLike<unknown>);

describe('dynamic batching', () => {
  test('concurrent requests run as one batch and each caller gets exactly its rows, for every dtype', async () => {
    for (const dtype of DTYPES) {
      const { backend, runs } = recorded(({ x }) => ({ y: x! }), {
        name: `identity-${dtype}`,
        inputs: [{ name: 'x', dtype, shape: [-1, 3] }],
        outputs: [{ name: 'y', dtype, shape: [-1, 3] }],
      });
      // A batch of exactly the 11 rows sent runs as soon as it is full; the long delay only keeps a
      // busy machine, slow to send the five requests, from running the first ones on their own.
      const { url } = await start(backend, { batching: { maxBatchSize: 11, maxDelayMs: 5_000 } });
      const model = new RemoteModel(url);
      const sizes = [1, 2, 3, 1, 4];
      const sent = sizes.map((n, i) => rows(dtype, n, 10 * i));
      const answers = await Promise.all(sent.map((x) => model.infer({ x })));
      answers.forEach(({ outputs }, i) => {
        expect(outputs[0]!.shape, dtype).toEqual(sent[i]!.shape);
        expect(plain(outputs[0]!), dtype).toEqual(plain(sent[i]!));
      });
      expect(runs, dtype).toEqual([11]); // one run of all 11 rows
    }
  });

  test('several inputs and outputs: results equal unbatched runs', async () => {
    const fn = ({ a, b }: Readonly<Record<string, Tensor>>) => {
      const [x, y] = [a!.data as Float32Array, b!.data as Int32Array];
      return {
        sum: tensor(
          x.map((v, i) => v + y[i]!),
          a!.shape,
        ),
        first: tensor(
          Int32Array.from({ length: b!.shape[0]! }, (_, r) => y[r * 2]!),
          [b!.shape[0]!],
        ),
      };
    };
    const spec = {
      inputs: [
        { name: 'a', dtype: 'float32' as const, shape: [-1, 2] },
        { name: 'b', dtype: 'int32' as const, shape: [-1, 2] },
      ],
      outputs: [{ name: 'sum' }, { name: 'first' }],
    };
    const batched = recorded(fn, { name: 'batched', ...spec });
    const unbatched = recorded(fn, { name: 'unbatched', ...spec });
    const a = await start(batched.backend, { batching: { maxBatchSize: 16, maxDelayMs: 30 } });
    const b = await start(unbatched.backend);
    const requests = [1, 3, 2].map((n, i) => ({
      a: tensor(
        Float32Array.from({ length: n * 2 }, (_, k) => i * 10 + k + 0.5),
        [n, 2],
      ),
      b: tensor(
        Int32Array.from({ length: n * 2 }, (_, k) => i * 100 + k),
        [n, 2],
      ),
    }));
    const got = await Promise.all(requests.map((r) => new RemoteModel(a.url).infer(r)));
    const want = await Promise.all(requests.map((r) => new RemoteModel(b.url).infer(r)));
    expect(got.map((r) => r.outputs.map(plain))).toEqual(want.map((r) => r.outputs.map(plain)));
    expect(batched.runs).toEqual([6]);
    expect(unbatched.runs).toEqual([1, 3, 2]);
  });

  test('a batch runs when full, without waiting for the delay', async () => {
    const { backend, runs } = recorded(({ input0 }) => ({ output0: input0! }));
    const { url } = await start(backend, { batching: { maxBatchSize: 4, maxDelayMs: 60_000 } });
    const model = new RemoteModel(url);
    const calls = [1, 1, 1, 1].map((_, i) => model.infer(tensor(new Float32Array([i]), [1])));
    expect((await Promise.all(calls)).map((r) => Array.from(r.outputs[0]!.data as Float32Array))).toEqual([
      [0],
      [1],
      [2],
      [3],
    ]);
    expect(runs).toEqual([4]);
  });

  test('one bad request in a batch fails alone', async () => {
    const { backend, runs } = recorded(({ input0 }) => {
      if ((input0!.data as Float32Array).some(Number.isNaN))
        throw new GraphPipeError('INVALID_ARGUMENT', 'NaN in the input');
      return { output0: input0! };
    });
    const { url } = await start(backend, { batching: { maxBatchSize: 8, maxDelayMs: 30 } });
    const model = new RemoteModel(url);
    const settled = await Promise.allSettled(
      [1, Number.NaN, 3].map((v) => model.infer(tensor(new Float32Array([v]), [1]))),
    );
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({
      status: 400,
      message: expect.stringContaining('NaN'),
    });
    const last = settled[2] as PromiseFulfilledResult<{ outputs: readonly Tensor[] }>;
    expect(Array.from(last.value.outputs[0]!.data as Float32Array)).toEqual([3]);
    expect(runs).toEqual([3, 1, 1, 1]); // the batch, then each request on its own
  });

  test('a caller that leaves while its batch waits does not break the batch', async () => {
    const { backend, runs } = recorded(({ input0 }) => ({ output0: input0! }));
    const { url, core } = await start(backend, { batching: { maxBatchSize: 8, maxDelayMs: 300 } });
    const model = new RemoteModel(url);
    const leaving = new AbortController();
    const first = model.infer(tensor(new Float32Array([1]), [1]));
    const gone = model.infer(tensor(new Float32Array([2]), [1]), { signal: leaving.signal });
    const third = model.infer(tensor(new Float32Array([3]), [1]));
    await expect.poll(() => core.models.find().queued).toBe(3);
    leaving.abort();
    await expect(gone).rejects.toMatchObject({ code: 'ABORTED' });
    await expect.poll(() => core.models.find().queued).toBe(2);
    expect(Array.from((await first).outputs[0]!.data as Float32Array)).toEqual([1]);
    expect(Array.from((await third).outputs[0]!.data as Float32Array)).toEqual([3]);
    expect(runs).toEqual([2]);
  });

  test('requests that differ in outputs, config or row shape run in batches of their own', async () => {
    const release = gate();
    const runs: string[] = [];
    const backend: Backend = createFunctionBackend(
      async ({ x }, { outputNames, config }) => {
        runs.push(`${outputNames.join()}|${config}|${x!.shape.join('x')}`);
        await release.promise;
        return { a: x!, b: x! };
      },
      { inputs: [{ name: 'x', dtype: 'float32' }], outputs: [{ name: 'a' }, { name: 'b' }] },
    );
    const { url } = await start(backend, { batching: { maxBatchSize: 8, maxDelayMs: 40 } });
    const model = new RemoteModel(url);
    const x = (width: number) => ({ x: tensor(new Float32Array(width), [1, width]) });
    const calls = [
      model.infer(x(2), { outputNames: ['a'] }),
      model.infer(x(2), { outputNames: ['a'] }),
      model.infer(x(2), { outputNames: ['b'] }),
      model.infer(x(2), { outputNames: ['a'], config: 'other' }),
      model.infer(x(3), { outputNames: ['a'] }),
    ];
    await expect.poll(() => runs.length).toBe(4);
    release.open();
    await Promise.all(calls);
    expect(runs.sort()).toEqual(['a|other|1x2', 'a||1x3', 'a||2x2', 'b||1x2']);
  });

  test('maxQueue 0 still lets a batch form; the wait for batches stays bounded', async () => {
    const { backend, runs } = recorded(({ input0 }) => ({ output0: input0! }));
    const models = new ModelRegistry({ maxQueue: 0, batching: { maxBatchSize: 4, maxDelayMs: 50 } });
    const served = models.add(backend);
    const infer = (v: number, config = '') =>
      served.infer({ input0: tensor(new Float32Array([v]), [1]) }, ['output0'], inferContext(config));
    const answers = await Promise.all([0, 1, 2, 3].map((v) => infer(v)));
    expect(answers.map(([y]) => Array.from(y!.data as Float32Array))).toEqual([[0], [1], [2], [3]]);
    expect(runs).toEqual([4]);
    // At most maxBatchSize requests wait for batches, across all forming batches.
    const waiting = [infer(4, 'a'), infer(5, 'a'), infer(6, 'a'), infer(7, 'b')];
    await expect(infer(8, 'c')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect((await Promise.all(waiting)).map(([y]) => Array.from(y!.data as Float32Array))).toEqual([
      [4],
      [5],
      [6],
      [7],
    ]);
  });

  test('the batch signal aborts when every caller has left, counting those who left before it was read', async () => {
    let release = gate();
    let reads = 0;
    const seen: { atRead: boolean; later: boolean }[] = [];
    const backend = createFunctionBackend(async ({ input0 }, context) => {
      await release.promise;
      const { signal } = context; // read only now: the batch's signal is made when first read
      const atRead = signal.aborted;
      reads++;
      const later = await new Promise<boolean>((resolve) => {
        if (signal.aborted) return resolve(true);
        const timer = setTimeout(() => resolve(false), 2000);
        const onAbort = () => {
          clearTimeout(timer);
          resolve(true);
        };
        signal.addEventListener('abort', onAbort, { once: true });
      });
      seen.push({ atRead, later });
      return input0!;
    });
    const models = new ModelRegistry({ batching: { maxBatchSize: 2, maxDelayMs: 60_000 } });
    const served = models.add(backend);
    const batchOfTwo = (callers: readonly AbortController[]) =>
      Promise.all(
        callers.map((caller, i) =>
          served.infer({ input0: tensor(new Float32Array([i]), [1]) }, ['output0'], {
            config: '',
            signal: caller.signal,
          }),
        ),
      );

    // Both callers leave before the model reads the signal: it is aborted when read.
    let callers = [new AbortController(), new AbortController()];
    let running = batchOfTwo(callers);
    for (const c of callers) c.abort();
    release.open();
    await running;
    expect(seen).toEqual([{ atRead: true, later: true }]);

    // One leaves before the read, the other after: the signal aborts when the second leaves.
    release = gate();
    reads = 0;
    callers = [new AbortController(), new AbortController()];
    running = batchOfTwo(callers);
    callers[0]!.abort();
    release.open();
    await expect.poll(() => reads).toBe(1);
    callers[1]!.abort();
    await running;
    expect(seen).toEqual([
      { atRead: true, later: true },
      { atRead: false, later: true },
    ]);

    // Two requests of one caller, who leaves after the read: the signal aborts.
    release = gate();
    reads = 0;
    const caller = new AbortController();
    running = batchOfTwo([caller, caller]);
    release.open();
    await expect.poll(() => reads).toBe(1);
    caller.abort();
    await running;
    expect(seen[2]).toEqual({ atRead: false, later: true });
  });

  test('the registry says which models batch; a version can opt out', () => {
    const models = new ModelRegistry({ batching: { maxBatchSize: 4, maxDelayMs: 1 } });
    const echo = createFunctionBackend(({ input0 }) => input0!);
    expect(() => models.add(echo, { name: 'bad', batching: { maxBatchSize: 0, maxDelayMs: 1 } })).toThrow(RangeError);
    models.add(echo, { name: 'off', batching: false });
    models.add(echo, { name: 'on' });
    expect(models.names().sort()).toEqual(['off', 'on']);
  });
});
