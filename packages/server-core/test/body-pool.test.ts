import { encodeInferRequest, RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { type Backend, createFetchHandler, createFunctionBackend, createServerCore } from '@graphpipe/server-core';
import { poisonReleasedBodies } from '@graphpipe/server-core/testing';
import { afterEach, expect, test } from 'vitest';
import { BodyPool, isPooled } from '../src/http/body-pool.js';
import { ByteBudget } from '../src/http/budget.js';
import { useServers } from './helpers.js';

const start = useServers();

afterEach(() => poisonReleasedBodies(true));

/** n float32 values counting up from `from`: every request's bytes differ from the last one's. */
function counting(n: number, from: number): Tensor {
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = from + i;
  return tensor(data, [1, n]);
}

function isCounting(t: Tensor, from: number): boolean {
  const data = t.data as Float32Array;
  for (let i = 0; i < data.length; i++) if (data[i] !== from + i) return false;
  return true;
}

test('a buffer given back is taken again for a body of its size class, and only kept within the budget', () => {
  const budget = new ByteBudget(1 << 20);
  const pool = new BodyPool(budget);
  const a = pool.take(300_000, false);
  expect(a.byteLength).toBe(512 * 1024);
  expect(isPooled(a)).toBe(true);
  pool.give(a);
  expect(pool.take(400_000, false)).toBe(a);
  expect(pool.take(100_000, false)).not.toBe(a);
  // 512 KiB held by requests in flight and 512 KiB kept would pass the 1 MiB budget's 1 MiB with another.
  budget.take(600_000);
  pool.give(a);
  expect(pool.retained).toBe(0);
  budget.give(600_000);
  // Shared memory is pooled apart from ordinary memory.
  const shared = pool.take(300_000, true);
  expect(shared).toBeInstanceOf(SharedArrayBuffer);
  pool.give(shared);
  expect(pool.take(300_000, false)).not.toBe(shared);
  expect(pool.take(300_000, true)).toBe(shared);
});

test('in the test mode, memory given back is overwritten, so a view used after its answer reads garbage', () => {
  const pool = new BodyPool(new ByteBudget(1 << 30));
  const buffer = pool.take(10_000, false);
  const view = new Float32Array(buffer, 0, 4);
  view.set([1, 2, 3, 4]);
  pool.give(buffer);
  expect(Array.from(view)).not.toEqual([1, 2, 3, 4]);
  poisonReleasedBodies(false);
  const again = pool.take(10_000, false);
  new Float32Array(again, 0, 4).set([1, 2, 3, 4]);
  pool.give(again);
  expect(Array.from(new Float32Array(again, 0, 4))).toEqual([1, 2, 3, 4]);
});

test('a backend that keeps its inputs past the answer sees them overwritten: the test mode catches the misuse', async () => {
  const kept: Tensor[] = [];
  const backend = createFunctionBackend((inputs) => {
    kept.push(inputs.input0!);
    return inputs.input0!;
  });
  const { url } = await start(backend);
  const { outputs } = await new RemoteModel(url).infer(counting(50_000, 7));
  expect(isCounting(outputs[0]!, 7)).toBe(true);
  // The answer is out: the body's memory has been given back and overwritten.
  await expect.poll(() => isCounting(kept[0]!, 7)).toBe(false);
});

/** Identity over every path that reads a body into pooled memory; the answers are views of it. */
const identity: Backend = createFunctionBackend((inputs) => inputs.input0!);

test('concurrent large requests each get their own bytes back, over GraphPipe and v2 binary, while memory is reused', async () => {
  const { url, core } = await start(identity);
  const graphpipe = new RemoteModel(url);
  const v2 = new RemoteModel(`${url}/v2/models/${core.models.served()[0]!.name}`);
  for (let round = 0; round < 3; round++) {
    const answers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const from = round * 1000 + i * 10;
        const input = counting(100_000 + i * 1000, from);
        const out = i % 2 === 0 ? (await graphpipe.infer(input)).outputs[0]! : (await v2.infer(input)).outputs[0]!;
        return isCounting(out, from);
      }),
    );
    expect(answers).toEqual(Array(8).fill(true));
  }
});

test('through fetch, an answer that borrows its body memory is never overwritten by the next request', async () => {
  const core = createServerCore(identity, { logger: false });
  const handle = createFetchHandler(core);
  const post = (from: number) =>
    handle(
      new Request('http://x/', { method: 'POST', body: encodeInferRequest({ inputs: [counting(100_000, from)] }) }),
    );
  const first = await post(1);
  // The next request comes before the first answer is read: it must not land in the first one's memory.
  const second = await post(2);
  const [a, b] = await Promise.all([first.arrayBuffer(), second.arrayBuffer()]);
  const decode = (bytes: ArrayBuffer) => new Float32Array(bytes.slice(bytes.byteLength - 400_000));
  expect(decode(a)[0]).toBe(1);
  expect(decode(a)[99_999]).toBe(100_000);
  expect(decode(b)[0]).toBe(2);
});

test('the row cache keeps copies: cached BYTES rows outlive the request body they came in', async () => {
  const strings = createFunctionBackend((inputs) => inputs.input0!);
  const { url } = await start(strings, { cache: { maxBytes: 1 << 20 } });
  const model = new RemoteModel(url);
  const texts = (tag: string) => Array.from({ length: 4 }, (_, i) => `${tag}${i}`.padEnd(3000, tag));
  const asTensor = (rows: string[]) =>
    tensor(
      rows.map((r) => new TextEncoder().encode(r)),
      [rows.length, 1],
      'string',
    );
  const asText = (t: Tensor) => (t.data as readonly Uint8Array[]).map((s) => new TextDecoder().decode(s));
  await model.infer(asTensor(texts('a')));
  await model.infer(asTensor(texts('b')));
  // All four rows come from the cache, in another order, long after the first body's memory was reused.
  const reversed = texts('a').reverse();
  expect(asText((await model.infer(asTensor(reversed))).outputs[0]!)).toEqual(reversed);
});
