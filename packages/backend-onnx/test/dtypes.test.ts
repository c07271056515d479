import { DTYPES, type Tensor, tensor } from '@graphpipe/protocol';
import { ModelRegistry } from '@graphpipe/server-core';
import { liveContext, modelPath } from '@graphpipe/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../src/index.js';
import { infer } from './helpers.js';

const utf8 = new TextEncoder();

// Extremes of every dtype, plus -0 and NaN (with a payload for float16) to check bit-exactness.
const INPUTS: Record<string, Tensor> = {
  in_uint8: tensor(new Uint8Array([0, 255, 7])),
  in_int8: tensor(new Int8Array([-128, 127, 0])),
  in_uint16: tensor(new Uint16Array([0, 65535, 7])),
  in_int16: tensor(new Int16Array([-32768, 32767, 0])),
  in_uint32: tensor(new Uint32Array([0, 2 ** 32 - 1, 7])),
  in_int32: tensor(new Int32Array([-(2 ** 31), 2 ** 31 - 1, 0])),
  in_uint64: tensor(new BigUint64Array([0n, 2n ** 64n - 1n, 7n])),
  in_int64: tensor(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n])),
  in_float16: tensor(new Uint16Array([0x3c00, 0x8000, 0x7e01]), [3], 'float16'),
  in_float32: tensor(new Float32Array([1.5, -0, NaN])),
  in_float64: tensor(new Float64Array([Math.PI, -0, Number.MAX_VALUE])),
  // As decoded from the wire (raw UTF-8 bytes) and as built in JS (strings).
  in_string: tensor([utf8.encode('héllo') as unknown as string, 'wörld ✓', ''], [3], 'string'),
};

// In a worker, every dtype also crosses threads both ways.
describe.each([0, 1])('workers: %i', (workers) => {
  let backend: OnnxBackend;
  beforeAll(async () => {
    backend = await createOnnxBackend(modelPath('identity-dtypes.onnx'), { workers });
  });
  afterAll(() => backend.close());

  test('the model covers every GraphPipe dtype', () => {
    expect(backend.metadata.inputs.map((io) => io.dtype)).toEqual(DTYPES);
    expect(backend.metadata.inputs.every((io) => io.shape?.join() === '-1')).toBe(true);
  });

  test('every dtype round-trips bit for bit', async () => {
    const out = await infer(backend, INPUTS);
    for (const dtype of DTYPES) {
      const sent = INPUTS[`in_${dtype}`]!;
      const got = out[`out_${dtype}`]!;
      expect(got.dtype, dtype).toBe(dtype);
      expect(got.shape, dtype).toEqual([3]);
      if (got.dtype === 'string') {
        expect(got.data).toEqual(['héllo', 'wörld ✓', '']);
      } else {
        expect(got.data.constructor, dtype).toBe(sent.data.constructor);
        expect(bytes(got), dtype).toEqual(bytes(sent));
      }
    }
  });

  test('empty tensors pass through', async () => {
    const empty = Object.fromEntries(
      Object.entries(INPUTS).map(([name, t]) => [
        name,
        { ...t, shape: [0], data: t.dtype === 'string' ? [] : t.data.subarray(0, 0) } as Tensor,
      ]),
    );
    const out = await infer(backend, empty, ['out_int64', 'out_string']);
    expect(out.out_int64).toEqual({ dtype: 'int64', shape: [0], data: new BigInt64Array(0) });
    expect(out.out_string).toEqual({ dtype: 'string', shape: [0], data: [] });
  });
});

function bytes(t: Tensor): Uint8Array {
  const data = t.data as ArrayBufferView;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

describe('dynamic batching over the real model', () => {
  let backend: OnnxBackend;
  beforeAll(async () => {
    backend = await createOnnxBackend(modelPath('identity-dtypes.onnx'));
  });
  afterAll(() => backend.close());

  test('batched answers equal unbatched ones, every dtype, each caller its own rows', async () => {
    const batched = new ModelRegistry({ batching: { maxBatchSize: 64, maxDelayMs: 20 } }).add(backend);
    // Three requests of 1, 2 and 3 rows: slices of INPUTS (rows 0, 1..2, 0..2).
    const slices: [number, number][] = [
      [0, 1],
      [1, 3],
      [0, 3],
    ];
    const requests = slices.map(([a, b]) =>
      Object.fromEntries(Object.entries(INPUTS).map(([name, t]) => [name, sliceOf(t, a, b)])),
    );
    const names = backend.metadata.outputs.map((o) => o.name);
    const answers = await Promise.all(requests.map((r) => batched.infer(r, names, liveContext())));
    for (const [i, request] of requests.entries()) {
      const alone = await infer(backend, request, names);
      answers[i]!.forEach((got, o) => {
        const want = alone[names[o]!]!;
        expect(got.shape, names[o]).toEqual(want.shape);
        if (got.dtype === 'string') expect(got.data, names[o]).toEqual(want.data);
        else expect(bytes(got), names[o]).toEqual(bytes(want));
      });
    }
  });
});

function sliceOf(t: Tensor, start: number, end: number): Tensor {
  const data = t.dtype === 'string' ? t.data.slice(start, end) : t.data.subarray(start, end);
  return { ...t, shape: [end - start], data } as Tensor;
}
