import { readFileSync } from 'node:fs';
import { modelPath } from '@graphpipe/test-utils';
import { encodeModel, node, valueInfo } from '@graphpipe/test-utils/onnx';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../src/index.js';

/** An identity model over `x` with the given metadata props. */
const withProps = (metadata: Record<string, string>, dtype: 'float32' | 'int64' = 'float32') =>
  encodeModel({
    name: 'props',
    doc: 'y = x',
    metadata,
    inputs: [valueInfo('x', dtype, ['batch', 2])],
    outputs: [valueInfo('y', dtype, ['batch', 2])],
    nodes: [node('Identity', ['x'], ['y'])],
  });

describe('metadata', () => {
  let iris: OnnxBackend;
  beforeAll(async () => {
    iris = await createOnnxBackend(modelPath('iris-classifier.onnx'));
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
    const backend = await createOnnxBackend(modelPath('matmul-add-relu.onnx'));
    expect(backend.metadata).toMatchObject({
      name: 'matmul-add-relu',
      version: '1',
      description: expect.stringMatching(/^y = relu/),
    });
    expect(backend.metadata.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: [-1, 8] }]);
    await backend.close();
  });

  test('a model given as bytes is read the same way', async () => {
    const backend = await createOnnxBackend(new Uint8Array(readFileSync(modelPath('iris-classifier.onnx'))));
    expect(backend.metadata).toEqual(iris.metadata);
    await backend.close();
  });

  test("class names and example inputs come from the props 'labels' and 'examples'", () => {
    expect(iris.metadata.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    const testSet = JSON.parse(readFileSync(modelPath('iris-test-set.json'), 'utf8'));
    const features = iris.metadata.examples!.features!;
    expect(features.shape).toEqual([30, 4]);
    expect(Array.from(features.data as Float32Array)).toEqual(Array.from(new Float32Array(testSet.features.flat())));
  });

  test('examples take the input dtype; labels may be a JSON array', async () => {
    const backend = await createOnnxBackend(
      withProps({ labels: '["a, b", "c"]', examples: '{"x": [[1, 2], [3, 4]]}' }, 'int64'),
    );
    expect(backend.metadata.labels).toEqual(['a, b', 'c']);
    expect(backend.metadata.examples!.x).toMatchObject({ dtype: 'int64', shape: [2, 2] });
    await backend.close();
  });

  test.each([
    ['{"x": [[1, 2]', /"examples" cannot be read: not valid JSON/],
    ['[[1, 2]]', /"examples" cannot be read: expected a JSON object/],
    ['{"z": [[1, 2]]}', /"examples" cannot be read: "z" is not one of the model's inputs/],
    ['{"x": [[1, "two"]]}', /"examples" cannot be read: input "x": element 1 is not a number/],
  ])('an examples prop %s that cannot be read fails the load, saying why', async (examples, message) => {
    await expect(createOnnxBackend(withProps({ examples }))).rejects.toThrow(message);
  });

  test('options override name, version and description', async () => {
    const backend = await createOnnxBackend(modelPath('iris-classifier.onnx'), {
      name: 'flowers',
      version: '2',
      description: 'd',
    });
    expect(backend.metadata).toMatchObject({ name: 'flowers', version: '2', description: 'd' });
    await backend.close();
  });

  test('concurrency defaults to 4 without workers and follows the option', async () => {
    expect(iris.concurrency).toBe(4);
    const backend = await createOnnxBackend(modelPath('iris-classifier.onnx'), {
      concurrency: 3,
      intraOpNumThreads: 1,
    });
    expect(backend.concurrency).toBe(3);
    await backend.close();
    await expect(createOnnxBackend(modelPath('iris-classifier.onnx'), { concurrency: 0 })).rejects.toThrow(TypeError);
  });
});
