import { existsSync, statSync } from 'node:fs';
import { expect, test } from 'vitest';
import { MODELS_DIR, modelPath } from '../src/index.js';

test('modelPath names committed model files and directories', () => {
  expect(statSync(modelPath('iris-classifier.onnx')).isFile()).toBe(true);
  expect(statSync(modelPath('tf-iris')).isDirectory()).toBe(true);
  expect(modelPath('iris-classifier.onnx')).toBe(`${MODELS_DIR}iris-classifier.onnx`);
  expect(existsSync(`${MODELS_DIR}iris-test-set.json`)).toBe(true);
});
