import { isGraphPipeError } from '@graphpipe/protocol';
import { modelPath, rejection } from '@graphpipe/test-utils';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { expect, test } from 'vitest';
import { checkedConcurrency, loadError, runError } from '../src/run-error.js';

const floats = (n: number) => new OrtTensor('float32', new Float32Array(n), [1, n]);

test("onnxruntime's own complaint about the caller's input is INVALID_ARGUMENT, on one line", async () => {
  const session = await InferenceSession.create(modelPath('iris-classifier.onnx'));
  try {
    const err = runError(await rejection(session.run({ features: floats(3) })));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^onnxruntime: Got invalid dimensions for input: features/);
    expect(err.message).not.toContain('\n');
  } finally {
    await session.release();
  }
});

test("run failures that are not the caller's: INTERNAL", () => {
  const err = runError(new Error('Non-zero status code returned while running Foo node.\n out of memory'));
  expect([err.code, err.status]).toEqual(['INTERNAL', 500]);
  expect(err.message).toBe('onnxruntime: Non-zero status code returned while running Foo node. out of memory');
  expect(runError('a string').message).toBe('onnxruntime: a string');
});

test('a model onnxruntime cannot load: INTERNAL, saying where it came from and why', async () => {
  const cause = await rejection(InferenceSession.create(new Uint8Array([1, 2, 3])));
  const err = loadError('3 bytes', cause);
  expect(isGraphPipeError(err) && err.code).toBe('INTERNAL');
  expect(err.message).toMatch(/^cannot load ONNX model \(3 bytes\): .*protobuf/);
  expect(err.cause).toBe(cause);
});

test('concurrency must be a positive integer', () => {
  expect(checkedConcurrency(3)).toBe(3);
  for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])
    expect(() => checkedConcurrency(n)).toThrow(`concurrency must be a positive integer, got ${n}`);
});
