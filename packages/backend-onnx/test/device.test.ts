import { isGraphPipeError, tensor } from '@graphpipe/protocol';
import { modelPath, rejection } from '@graphpipe/test-utils';
import { expect, test } from 'vitest';
import { createOnnxBackend } from '../src/index.js';
import { sessionOptions } from '../src/options.js';
import { infer } from './helpers.js';

test('the device chooses the execution providers', () => {
  expect(sessionOptions({}).executionProviders).toEqual(['cpu']);
  expect(sessionOptions({ device: 'cpu' }).executionProviders).toEqual(['cpu']);
  expect(sessionOptions({ device: 'cuda' }).executionProviders).toEqual(['cuda', 'cpu']);
  // Explicit providers win over the device.
  expect(sessionOptions({ device: 'cuda', executionProviders: ['cpu'] }).executionProviders).toEqual(['cpu']);
  expect(() => sessionOptions({ device: 'gpu' as never })).toThrow(TypeError);
});

test.each([0, 1])(
  "device 'cuda' without the CUDA provider fails at load, saying what to install (workers: %i)",
  async (workers) => {
    const err = await rejection(createOnnxBackend(modelPath('iris-classifier.onnx'), { device: 'cuda', workers }));
    expect(isGraphPipeError(err) && err.code).toBe('UNAVAILABLE');
    expect((err as Error).message).toContain("device 'cuda' needs onnxruntime-node's CUDA provider");
    expect((err as Error).message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  },
);

test("executionProviders naming CUDA get the same hint; device 'cuda' overridden by CPU providers loads on the CPU", async () => {
  const err = await rejection(
    createOnnxBackend(modelPath('iris-classifier.onnx'), { executionProviders: ['cuda', 'cpu'] }),
  );
  expect(isGraphPipeError(err) && err.code).toBe('UNAVAILABLE');
  expect((err as Error).message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  const cpu = await createOnnxBackend(modelPath('iris-classifier.onnx'), {
    device: 'cuda',
    executionProviders: ['cpu'],
  });
  await cpu.close();
});

test("device 'cpu' serves as before", async () => {
  const backend = await createOnnxBackend(modelPath('iris-classifier.onnx'), { device: 'cpu' });
  const out = await infer(backend, { features: tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]) }, ['label']);
  expect(Array.from(out.label!.data as BigInt64Array)).toEqual([0n]);
  await backend.close();
});
