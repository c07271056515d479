/**
 * The client names the outputs of a call that asked for none by the model's metadata, fetched
 * once per RemoteModel and shared by concurrent calls.
 */
import { decodeRequest, RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, test } from 'vitest';
import { gate, useServers } from './helpers.js';

const start = useServers();

const iris = createFunctionBackend(
  ({ features }) => [
    tensor(new Float32Array([0.1, 0.2, 0.7]), [1, 3]),
    tensor(new BigInt64Array([2n]), [1]),
    features!,
  ],
  {
    name: 'iris',
    inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 4] }],
    outputs: [{ name: 'probabilities' }, { name: 'label' }, { name: 'features' }],
  },
);
const row = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]);

/** A fetch that counts the metadata requests it passes on, and can act on one before it goes. */
function watchingMetadata(before: (n: number) => void | Promise<void> = () => {}) {
  const seen = { metadata: 0 };
  const watched: typeof fetch = async (url, init) => {
    if (decodeRequest(init!.body as Uint8Array).kind === 'metadata') await before(++seen.metadata);
    return fetch(url, init);
  };
  return { fetch: watched, seen };
}

const labels = (byName: Readonly<Record<string, Tensor>>) => Object.keys(byName);

describe('byName without outputNames', () => {
  test('is filled from the metadata, fetched once for the model', async () => {
    const server = await start(iris);
    const { fetch, seen } = watchingMetadata();
    const model = new RemoteModel(server.url, { fetch });
    for (let i = 0; i < 3; i++) {
      const { outputs, byName } = await model.infer(row);
      expect(labels(byName)).toEqual(['probabilities', 'label', 'features']);
      expect(byName.label).toBe(outputs[1]);
      expect(Array.from(byName.label!.data as BigInt64Array)).toEqual([2n]);
    }
    expect(seen.metadata).toBe(1);
  });

  test('concurrent first calls share one metadata request', async () => {
    const server = await start(iris);
    const { fetch, seen } = watchingMetadata();
    const model = new RemoteModel(server.url, { fetch });
    const results = await Promise.all(Array.from({ length: 8 }, () => model.infer(row)));
    for (const { byName } of results) expect(labels(byName)).toEqual(['probabilities', 'label', 'features']);
    expect(seen.metadata).toBe(1);
  });

  test('a failed metadata fetch leaves byName empty once, and the next call fetches again', async () => {
    const server = await start(iris);
    const { fetch, seen } = watchingMetadata((n) => {
      if (n === 1) throw new TypeError('fetch failed'); // the network drops the first one
    });
    const model = new RemoteModel(server.url, { fetch });
    const first = await model.infer(row);
    expect(first.outputs).toHaveLength(3);
    expect(first.byName).toEqual({});
    expect(labels((await model.infer(row)).byName)).toEqual(['probabilities', 'label', 'features']);
    expect(seen.metadata).toBe(2);
  });

  test("the call's signal ends its wait for the metadata, and the outputs still come back", async () => {
    const server = await start(iris);
    const caller = new AbortController();
    const held = gate();
    const { fetch } = watchingMetadata(() => {
      caller.abort(); // the outputs are in; the metadata is on its way
      return held.promise;
    });
    const model = new RemoteModel(server.url, { fetch });
    const { outputs, byName } = await model.infer(row, { signal: caller.signal });
    expect(outputs).toHaveLength(3);
    expect(byName).toEqual({});
    held.open();
    expect(labels((await model.infer(row)).byName)).toEqual(['probabilities', 'label', 'features']);
  });

  test('stays empty when the server answers fewer default outputs than the metadata lists', async () => {
    const labelOnly: Backend = { ...iris, defaultOutputs: ['label'] };
    const server = await start(labelOnly);
    const model = new RemoteModel(server.url);
    const { outputs, byName } = await model.infer(row);
    expect(outputs).toHaveLength(1);
    expect(byName).toEqual({}); // one answer against three listed outputs: which is it?
    expect(labels((await model.infer(row, { outputNames: ['label'] })).byName)).toEqual(['label']);
  });
});

describe('byName keys', () => {
  test('any output name is a plain key, __proto__ and constructor included', async () => {
    const odd = createFunctionBackend(({ x }) => [x!, tensor(new Int32Array([7]))], {
      inputs: [{ name: 'x' }],
      outputs: [{ name: '__proto__' }, { name: 'constructor' }],
    });
    const server = await start(odd);
    const model = new RemoteModel(server.url);
    const x = tensor(new Float32Array([1.5]));
    for (const outputNames of [['__proto__', 'constructor'], undefined]) {
      const { outputs, byName } = await model.infer({ x }, { outputNames });
      expect(Object.keys(byName)).toEqual(['__proto__', 'constructor']);
      expect(Object.getPrototypeOf(byName)).toBeNull();
      expect(Object.getOwnPropertyDescriptor(byName, '__proto__')?.value).toBe(outputs[0]);
      expect(byName.constructor).toBe(outputs[1]);
    }
  });
});
