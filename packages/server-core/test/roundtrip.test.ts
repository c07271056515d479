import { RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import type { ServerHandle } from '@graphpipe/server-core/node';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectSameTensor, hex, SAMPLES, useServers } from './helpers.js';

const start = useServers();

/** Every GraphPipe dtype (bool travels as uint8 on GraphPipe's wire). */
const { bool: _bool, ...GRAPHPIPE_SAMPLES } = SAMPLES;

describe('client <-> server round trips', () => {
  let url: string;
  const seen: Array<{ inputs: Readonly<Record<string, Tensor>>; config: string; outputNames: readonly string[] }> = [];

  beforeAll(async () => {
    // The default function model: one input "input0" of any dtype and shape, one output "output0".
    const echo = createFunctionBackend((inputs, { config, outputNames }) => {
      seen.push({ inputs, config, outputNames });
      return inputs.input0!;
    });
    url = (await start(echo)).url;
  });

  test.each(Object.keys(GRAPHPIPE_SAMPLES) as (keyof typeof GRAPHPIPE_SAMPLES)[])(
    '%s tensors arrive and come back intact',
    async (dtype) => {
      seen.length = 0;
      const sent = GRAPHPIPE_SAMPLES[dtype];
      const { outputs, byName } = await new RemoteModel(url).infer(sent);
      // What the backend received...
      expect(seen).toHaveLength(1);
      expectSameTensor(seen[0]!.inputs.input0, sent);
      // ...and what the client got back.
      expect(outputs).toHaveLength(1);
      expectSameTensor(outputs[0], sent);
      expect(byName.output0).toBe(outputs[0]); // named by the model's metadata
    },
  );

  test('int64/uint64 come back as BigInt arrays and float16 as Uint16Array bits', async () => {
    const model = new RemoteModel(url);
    const [i64] = (await model.infer(SAMPLES.int64)).outputs;
    expect(i64!.data).toBeInstanceOf(BigInt64Array);
    expect((i64!.data as BigInt64Array)[0]).toBe(-(2n ** 63n));
    expect((i64!.data as BigInt64Array)[2]).toBe(9007199254740993n);
    const [u64] = (await model.infer(SAMPLES.uint64)).outputs;
    expect(u64!.data).toBeInstanceOf(BigUint64Array);
    expect((u64!.data as BigUint64Array)[3]).toBe(18446744073709551615n);
    const [f16] = (await model.infer(SAMPLES.float16)).outputs;
    expect(f16!.dtype).toBe('float16');
    expect(f16!.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(f16!.data as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7c00, 0x7e01, 0x0001, 0x8000]);
  });

  test('string elements may be arbitrary bytes, not UTF-8', async () => {
    const bytes = [
      new Uint8Array([0xff, 0xfe, 0x00, 0x80]),
      new Uint8Array([0xc3]),
      new Uint8Array(0),
      new Uint8Array([0xed, 0xa0, 0x80]),
    ];
    const sent = tensor<'string'>([...bytes, 'plain'] as unknown as readonly string[], [5], 'string');
    const [out] = (await new RemoteModel(url).infer(sent)).outputs;
    expect(out!.dtype).toBe('string');
    expect((out!.data as Uint8Array[]).map(hex)).toEqual([
      'fffe0080',
      'c3',
      '',
      'eda080',
      Buffer.from('plain').toString('hex'),
    ]);
  });

  test('scalars (shape []) keep their shape and single element', async () => {
    const model = new RemoteModel(url);
    for (const sent of [
      tensor(new Float64Array([3.5]), []),
      tensor(new BigInt64Array([-7n]), []),
      tensor(['only'], []),
    ]) {
      const [out] = (await model.infer(sent)).outputs;
      expect(out!.shape).toEqual([]);
      expectSameTensor(out, sent);
    }
  });

  test('zero-size dimensions round-trip for numeric and string tensors', async () => {
    const model = new RemoteModel(url);
    for (const sent of [
      tensor(new Float32Array(0), [0, 3]),
      tensor(new BigUint64Array(0), [4, 0, 2]),
      tensor([], [2, 0]),
      tensor(new Uint8Array(0), [0]),
    ]) {
      seen.length = 0;
      const [out] = (await model.infer(sent)).outputs;
      expect(seen[0]!.inputs.input0!.shape).toEqual(sent.shape);
      expect(out!.dtype).toBe(sent.dtype);
      expect(out!.shape).toEqual(sent.shape);
      expect(out!.data.length).toBe(0);
    }
  });

  test('a larger tensor (1M float32) survives the trip', async () => {
    const data = new Float32Array(1 << 20).map((_, i) => i * 0.5);
    const [out] = (await new RemoteModel(url).infer(tensor(data, [1024, 1024]))).outputs;
    expect(out!.shape).toEqual([1024, 1024]);
    expect((out!.data as Float32Array)[123457]).toBe(123457 * 0.5);
    expect(hex(out!.data as Float32Array)).toBe(hex(data));
  });
});

describe('several inputs and outputs', () => {
  let handle: ServerHandle;
  const calls: Array<{ names: string[]; outputNames: readonly string[]; config: string }> = [];

  /** sum = a + b (row-wise), count = rows, label = one string per row. */
  function model(defaultOutputs?: readonly string[]): Backend {
    const fn = createFunctionBackend(
      (inputs, { outputNames, config }) => {
        calls.push({ names: Object.keys(inputs), outputNames, config });
        const a = inputs.a!.data as Float32Array;
        const b = inputs.b!.data as Int32Array;
        const rows = inputs.a!.shape[0]!;
        return {
          sum: tensor(
            a.map((x, i) => x + b[i]!),
            inputs.a!.shape,
          ),
          count: tensor(new Int32Array([rows]), []),
          label: tensor(
            Array.from({ length: rows }, (_, i) => `row${i}`),
            [rows],
          ),
        };
      },
      {
        name: 'multi',
        inputs: [
          { name: 'a', dtype: 'float32', shape: [-1, 2] },
          { name: 'b', dtype: 'int32', shape: [-1, 2] },
        ],
        outputs: [{ name: 'sum' }, { name: 'count' }, { name: 'label' }],
      },
    );
    return defaultOutputs ? { ...fn, defaultOutputs, infer: fn.infer.bind(fn) } : fn;
  }

  const a = tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
  const b = tensor(new Int32Array([10, 20, 30, 40]), [2, 2]);

  beforeAll(async () => {
    handle = await start(model());
  });

  test('unnamed inputs take the default input names and all default outputs come back in order', async () => {
    calls.length = 0;
    const { outputs, byName } = await new RemoteModel(handle.url).infer([a, b]);
    expect(calls[0]!.names).toEqual(['a', 'b']);
    expect(calls[0]!.outputNames).toEqual(['sum', 'count', 'label']);
    expect(outputs.map((t) => t.dtype)).toEqual(['float32', 'int32', 'string']);
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([11, 22, 33, 44]);
    expect(outputs[1]!.shape).toEqual([]);
    expect(Array.from(outputs[1]!.data as Int32Array)).toEqual([2]);
    expect(Object.keys(byName)).toEqual(['sum', 'count', 'label']); // no names asked for: the metadata's
  });

  test('outputs come back in the requested order, and a subset may be asked for', async () => {
    const model = new RemoteModel(handle.url);
    const r1 = await model.infer([a, b], { outputNames: ['label', 'sum'] });
    expect(r1.outputs.map((t) => t.dtype)).toEqual(['string', 'float32']);
    expect(new TextDecoder().decode((r1.outputs[0]!.data as Uint8Array[])[1])).toBe('row1');
    expect(Object.keys(r1.byName)).toEqual(['label', 'sum']);
    expect(Array.from(r1.byName.sum!.data as Float32Array)).toEqual([11, 22, 33, 44]);
    const r2 = await model.infer([a, b], { outputNames: ['count'] });
    expect(r2.outputs).toHaveLength(1);
    expect(r2.byName.count!.dtype).toBe('int32');
    expect(Array.from(r2.byName.count!.data as Int32Array)).toEqual([2]);
  });

  test('input names given by position or by a record reach the backend by name', async () => {
    const model = new RemoteModel(handle.url);
    calls.length = 0;
    // Swapped order, named explicitly.
    const r1 = await model.infer([b, a], { inputNames: ['b', 'a'], outputNames: ['sum'] });
    expect(Array.from(r1.outputs[0]!.data as Float32Array)).toEqual([11, 22, 33, 44]);
    // A record names its tensors itself, whatever its key order.
    const r2 = await model.infer({ b, a }, { outputNames: ['sum'] });
    expect(Array.from(r2.outputs[0]!.data as Float32Array)).toEqual([11, 22, 33, 44]);
    expect(calls.map((c) => c.names)).toEqual([
      ['b', 'a'],
      ['b', 'a'],
    ]);
  });

  test('config is passed through to the backend unchanged', async () => {
    calls.length = 0;
    const model = new RemoteModel(handle.url);
    const config = '{"temperature":0.5,"note":"ünïcödé\\n"}';
    await model.infer([a, b], { config, outputNames: ['count'] });
    await model.infer([a, b], { outputNames: ['count'] });
    expect(calls.map((c) => c.config)).toEqual([config, '']);
  });

  test('byName uses the metadata output names once metadata() was fetched', async () => {
    const model = new RemoteModel(handle.url);
    const meta = await model.metadata();
    expect(meta.outputs.map((o) => o.name)).toEqual(['sum', 'count', 'label']);
    const { byName } = await model.infer({ a, b });
    expect(Object.keys(byName)).toEqual(['sum', 'count', 'label']);
    expect(byName.label!.dtype).toBe('string');
    expect(byName.count!.dtype).toBe('int32');
  });

  test("a backend's own defaultOutputs are what an unnamed request gets, and byName does not mislabel them", async () => {
    const h = await start(model(['count']));
    const client = new RemoteModel(h.url);
    await client.metadata();
    const { outputs, byName } = await client.infer([a, b]);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]!.dtype).toBe('int32');
    // The metadata lists sum, count, label; the one answer is "count", not "sum".
    expect(byName.sum).toBeUndefined();
  });
});
