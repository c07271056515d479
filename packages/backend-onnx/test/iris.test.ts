import { tensor } from '@graphpipe/protocol';
import { modelPath } from '@graphpipe/test-utils';
import { expect, test } from 'vitest';
import { createOnnxBackend } from '../src/index.js';
import { infer, irisTestSet } from './helpers.js';

test('held-out accuracy through the backend matches the training script and is at least 0.9', async () => {
  const set = irisTestSet();
  const backend = await createOnnxBackend(modelPath('iris-classifier.onnx'));
  const features = tensor(Float32Array.from(set.features.flat()), [set.testSize, 4]);
  const { label, probabilities } = await infer(backend, { features });
  await backend.close();

  expect(label!.dtype).toBe('int64');
  const predicted = Array.from(label!.data as BigInt64Array, Number);
  const accuracy = predicted.filter((p, i) => p === set.labels[i]).length / set.testSize;
  expect(accuracy).toBe(set.accuracy);
  expect(accuracy).toBeGreaterThanOrEqual(0.9);
  expect(set.classes).toEqual(['setosa', 'versicolor', 'virginica']);
  expect(set.trainSize + set.testSize).toBe(150);

  // Softmax rows sum to one.
  const p = probabilities!.data as Float32Array;
  for (let i = 0; i < set.testSize; i++) expect(p[3 * i]! + p[3 * i + 1]! + p[3 * i + 2]!).toBeCloseTo(1, 5);
});
