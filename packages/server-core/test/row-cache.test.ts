import { RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { createFunctionBackend, ModelRegistry } from '@graphpipe/server-core';
import { expect, test } from 'vitest';
import { inferContext, useServers } from './helpers.js';

const start = useServers();

/** y = 10·x per row, recording the rows each run received. */
function tenfold() {
  const runs: number[][] = [];
  const backend = createFunctionBackend(
    ({ x }) => {
      const data = x!.data as Float32Array;
      runs.push(Array.from({ length: x!.shape[0]! }, (_, r) => data[r * 2]!));
      return {
        y: tensor(
          data.map((v) => v * 10),
          x!.shape,
        ),
        n: tensor(new Int32Array(x!.shape[0]!).fill(7), [x!.shape[0]!]),
      };
    },
    {
      name: 'tenfold',
      inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 2] }],
      outputs: [{ name: 'y' }, { name: 'n' }],
    },
  );
  return { backend, runs };
}

const rowsOf = (...firsts: number[]) =>
  tensor(Float32Array.from(firsts.flatMap((v) => [v, v + 0.5])), [firsts.length, 2]);
const values = (t: Tensor) => Array.from(t.data as Float32Array);
const text = (e: string | Uint8Array | number) =>
  typeof e === 'string' ? e : new TextDecoder().decode(e as Uint8Array);

test('rows seen before are answered from the cache; only new rows reach the model, in order', async () => {
  const { backend, runs } = tenfold();
  const { url } = await start(backend, { cache: { maxBytes: 1 << 20 } });
  const model = new RemoteModel(url);
  const first = await model.infer({ x: rowsOf(1, 2, 3) });
  expect(values(first.outputs[0]!)).toEqual([10, 15, 20, 25, 30, 35]);

  const all = await model.infer({ x: rowsOf(3, 1, 2) }); // every row known: the model is not called
  expect(values(all.outputs[0]!)).toEqual([30, 35, 10, 15, 20, 25]);
  expect(Array.from(all.outputs[1]!.data as Int32Array)).toEqual([7, 7, 7]);

  const mixed = await model.infer({ x: rowsOf(2, 9, 1, 8) }); // two new rows
  expect(values(mixed.outputs[0]!)).toEqual([20, 25, 90, 95, 10, 15, 80, 85]);
  expect(runs).toEqual([
    [1, 2, 3],
    [9, 8],
  ]);

  // Another choice of outputs, or another config, is another answer.
  await model.infer({ x: rowsOf(1) }, { outputNames: ['n'] });
  await model.infer({ x: rowsOf(1) }, { config: 'c' });
  expect(runs).toEqual([[1, 2, 3], [9, 8], [1], [1]]);

  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toContain('graphpipe_cache_rows_total{model="tenfold",version="1",result="hit"} 5');
  expect(metrics).toContain('graphpipe_cache_rows_total{model="tenfold",version="1",result="miss"} 7');
});

test('the cache holds at most maxBytes, dropping the least recently used rows', async () => {
  const { backend, runs } = tenfold();
  // A row's answer: 8 bytes of y, 4 of n, and a 64-character key: 76 bytes. Room for two rows.
  const models = new ModelRegistry({ cache: { maxBytes: 160 } });
  const served = models.add(backend);
  const infer = (v: number) => served.infer({ x: rowsOf(v) }, ['y', 'n'], inferContext());
  await infer(1);
  await infer(2);
  await infer(1); // 1 is now the most recently used
  await infer(3); // evicts 2
  expect(served.cachedBytes).toBeLessThanOrEqual(160);
  await infer(1);
  await infer(2);
  expect(runs).toEqual([[1], [2], [3], [2]]);
});

test('a reloaded model starts with an empty cache', async () => {
  const first = tenfold();
  const second = tenfold();
  const { url, core } = await start(first.backend, { cache: { maxBytes: 1 << 20 } });
  const model = new RemoteModel(url);
  await model.infer({ x: rowsOf(4) });
  core.models.add(second.backend, { version: '1' });
  await model.infer({ x: rowsOf(4) });
  expect(first.runs).toEqual([[4]]);
  expect(second.runs).toEqual([[4]]);
});

test('string rows are cached by their elements, each with its length: ["a", "bc"] is not ["ab", "c"]', async () => {
  const runs: string[][] = [];
  const backend = createFunctionBackend(
    ({ s }) => {
      const rows = s!.shape[0]!;
      // Strings arrive as their bytes.
      const data = (s!.data as (string | Uint8Array)[]).map(text);
      runs.push(Array.from({ length: rows }, (_, r) => data.slice(r * 2, r * 2 + 2).join('|')));
      return {
        joined: tensor(
          Array.from({ length: rows }, (_, r) => data.slice(r * 2, r * 2 + 2).join('+')),
          [rows],
        ),
      };
    },
    {
      name: 'joiner',
      inputs: [{ name: 's', dtype: 'string', shape: [-1, 2] }],
      outputs: [{ name: 'joined' }],
    },
  );
  const { url } = await start(backend, { cache: { maxBytes: 1 << 20 } });
  const model = new RemoteModel(url);
  const call = async (...rows: [string, string][]) => {
    const { outputs } = await model.infer({ s: tensor(rows.flat(), [rows.length, 2]) });
    return (outputs[0]!.data as (string | Uint8Array)[]).map(text);
  };
  expect(await call(['a', 'bc'], ['é', ''])).toEqual(['a+bc', 'é+']);
  expect(await call(['ab', 'c'], ['a', 'bc'])).toEqual(['ab+c', 'a+bc']);
  expect(runs).toEqual([['a|bc', 'é|'], ['ab|c']]);
});
