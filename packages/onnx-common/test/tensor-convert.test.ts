import { tensor } from '@graphpipe/protocol';
import { Tensor as OrtTensor } from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { fromOrtTensor, toOrtTensor } from '../src/index.js';

test('inputs keep their typed array', () => {
  const t = tensor(new BigInt64Array([1n, -2n]), [2, 1]);
  const ort = toOrtTensor(OrtTensor, t, 'x');
  expect(ort.type).toBe('int64');
  expect(ort.data).toBe(t.data);
  expect(ort.dims).toEqual([2, 1]);
});

test('string elements given as UTF-8 bytes become JS strings', () => {
  const t = tensor([new TextEncoder().encode('ünï') as unknown as string, 'plain'], [2], 'string');
  expect(toOrtTensor(OrtTensor, t, 'x').data).toEqual(['ünï', 'plain']);
});

test("outputs keep onnxruntime's typed array; bool comes out as bool bytes", () => {
  const ort = new OrtTensor('bool', new Uint8Array([1, 0, 1]), [3]);
  const t = fromOrtTensor(ort, 'bool');
  expect(t).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
  expect(t.data).toBe(ort.data);
  expect(toOrtTensor(OrtTensor, t, 'x').type).toBe('bool');
});

test('float16 held in another 16-bit array (Float16Array on newer runtimes) is viewed as Uint16Array', () => {
  const half = new Int16Array([0x3c00, -1]);
  const t = fromOrtTensor({ dims: [2], data: half } as unknown as OrtTensor, 'float16');
  expect(t.data).toBeInstanceOf(Uint16Array);
  expect((t.data as Uint16Array).buffer).toBe(half.buffer);
  expect(Array.from(t.data as Uint16Array)).toEqual([0x3c00, 0xffff]);
});
