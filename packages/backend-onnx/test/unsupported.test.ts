import { GraphPipeError, tensor } from '@graphpipe/protocol';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../src/index.js';
import { infer, modelPath } from './helpers.js';

// bool-io.onnx: inputs x float32 [n] and mask bool [n]; outputs masked float32 [n] and positive bool [n].
let backend: OnnxBackend;
beforeAll(async () => {
  backend = await createOnnxBackend(modelPath('bool-io'));
});
afterAll(() => backend.close());

test('a bool input is described without a dtype', () => {
  expect(backend.metadata.inputs).toEqual([
    { name: 'x', dtype: 'float32', shape: [-1] },
    { name: 'mask', shape: [-1], description: 'ONNX bool tensor; GraphPipe has no bool dtype' },
  ]);
});

test('a bool output is declared as uint8', () => {
  expect(backend.metadata.outputs).toEqual([
    { name: 'masked', dtype: 'float32', shape: [-1] },
    { name: 'positive', dtype: 'uint8', shape: [-1], description: 'ONNX bool tensor, sent as uint8' },
  ]);
});

test('a request feeding the bool input is rejected with INVALID_ARGUMENT', async () => {
  const inputs = { x: tensor(new Float32Array([1, -1])), mask: tensor(new Uint8Array([1, 0])) };
  const err = await infer(backend, inputs).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GraphPipeError);
  expect(err).toMatchObject({
    code: 'INVALID_ARGUMENT',
    message: 'input "mask" has ONNX type bool, which GraphPipe has no dtype for',
  });
});
