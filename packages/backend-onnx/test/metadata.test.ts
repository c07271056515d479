import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../src/index.js';
import { modelPath } from './helpers.js';

describe('metadata', () => {
  let iris: OnnxBackend;
  beforeAll(async () => {
    iris = await createOnnxBackend(modelPath('iris-classifier'));
  });
  afterAll(() => iris.close());

  test('names, dtypes and shapes, with -1 for the symbolic batch dim', () => {
    expect(iris.metadata.inputs).toEqual([{ name: 'features', dtype: 'float32', shape: [-1, 4] }]);
    expect(iris.metadata.outputs).toEqual([
      { name: 'probabilities', dtype: 'float32', shape: [-1, 3] },
      { name: 'label', dtype: 'int64', shape: [-1] },
    ]);
    expect(iris.defaultOutputs).toEqual(['probabilities', 'label']);
  });

  test('name, version and description come from the model metadata props', () => {
    expect(iris.metadata.name).toBe('iris-classifier');
    expect(iris.metadata.version).toBe('1.0.0');
    expect(iris.metadata.description).toMatch(/^Iris species/);
  });

  test('without props: name from the file name, description from doc_string, version from model_version', async () => {
    const backend = await createOnnxBackend(modelPath('matmul-add-relu'));
    expect(backend.metadata).toMatchObject({
      name: 'matmul-add-relu',
      version: '1',
      description: expect.stringMatching(/^y = relu/),
    });
    expect(backend.metadata.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [-1, 8] }]);
    await backend.close();
  });

  test('a model given as bytes is read the same way', async () => {
    const backend = await createOnnxBackend(new Uint8Array(readFileSync(modelPath('iris-classifier'))));
    expect(backend.metadata).toEqual(iris.metadata);
    await backend.close();
  });

  test('options override name, version and description', async () => {
    const backend = await createOnnxBackend(modelPath('iris-classifier'), {
      name: 'flowers',
      version: '2',
      description: 'd',
    });
    expect(backend.metadata).toMatchObject({ name: 'flowers', version: '2', description: 'd' });
    await backend.close();
  });

  test('concurrency defaults to 1 and follows the option', async () => {
    expect(iris.concurrency).toBe(1);
    const backend = await createOnnxBackend(modelPath('iris-classifier'), { concurrency: 3, intraOpNumThreads: 1 });
    expect(backend.concurrency).toBe(3);
    await backend.close();
    await expect(createOnnxBackend(modelPath('iris-classifier'), { concurrency: 0 })).rejects.toThrow(TypeError);
  });
});
