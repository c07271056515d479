import { ALL_DTYPES, tensor, typedArrayFor } from '@graphpipe/protocol';
import { Tensor as OrtTensor } from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { dtypeFromOnnx } from '../src/dtype-map.js';

test.each(ALL_DTYPES.filter((d) => d !== 'string'))(
  '%s: onnxruntime makes a tensor of that type name, and it maps back to the same dtype',
  (dtype) => {
    const data = new (typedArrayFor(dtype))(2);
    const ort = new OrtTensor(dtype as never, data as never, [2]);
    expect(ort.type).toBe(dtype);
    expect(dtypeFromOnnx(ort.type)).toBe(dtype);
  },
);

test("string: onnxruntime's string tensors are the string dtype", () => {
  const ort = new OrtTensor('string', ['a', 'b'], [2]);
  expect(dtypeFromOnnx(ort.type)).toBe('string');
  expect(dtypeFromOnnx(new OrtTensor(tensor(['x']).data as string[]).type)).toBe('string');
});

test('ONNX types GraphPipe has no dtype for map to nothing', () => {
  for (const type of ['bfloat16', 'int4', 'uint4', 'float8e4m3fn', 'complex64', 'Float32', '', 'constructor'])
    expect(dtypeFromOnnx(type)).toBeUndefined();
});
