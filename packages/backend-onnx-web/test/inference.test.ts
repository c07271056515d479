import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { GraphPipeError, type Tensor, tensor } from '@graphpipe/protocol';
import { seededRandom, uniformFloats, rejection, modelPath } from '@graphpipe/test-utils';
import { expect, test } from 'vitest';
import { createOnnxWebBackend } from '../src/index.js';
import { infer, modelBytes } from './helpers.js';

interface IrisTestSet {
  features: number[][];
  labels: number[];
  testSize: number;
  accuracy: number;
}

const floats = (count: number, seed: number) => uniformFloats(seededRandom(seed), count, -2, 2);

/** The same model and inputs through onnxruntime-node: the reference answers. */
async function reference(model: string, inputs: Record<string, Tensor>) {
  const backend = await createOnnxBackend(modelPath(`${model}.onnx`));
  try {
    return await infer(backend, inputs);
  } finally {
    await backend.close();
  }
}

test("Iris: the held-out accuracy of the training script, and onnxruntime-node's probabilities", async () => {
  const set = (await import('../../../models/iris-test-set.json', { with: { type: 'json' } })).default as IrisTestSet;
  const features = tensor(Float32Array.from(set.features.flat()), [set.testSize, 4]);
  const backend = await createOnnxWebBackend(modelBytes('iris-classifier'));
  const { label, probabilities } = await infer(backend, { features });
  await backend.close();
  expect(backend.metadata.name).toBe('iris-classifier');
  const predicted = Array.from(label!.data as BigInt64Array, Number);
  expect(predicted.filter((p, i) => p === set.labels[i]).length / set.testSize).toBe(set.accuracy);
  const expected = await reference('iris-classifier', { features });
  expect(label!.data).toEqual(expected.label!.data);
  const got = probabilities!.data as Float32Array;
  (expected.probabilities!.data as Float32Array).forEach((p, i) => expect(got[i]).toBeCloseTo(p, 5));
});

test("tiny-conv: onnxruntime-node's answers, within float32 rounding", async () => {
  const backend = await createOnnxWebBackend(modelBytes('tiny-conv'));
  const input = backend.metadata.inputs[0]!;
  const shape = input.shape!.map((d) => (d < 0 ? 3 : d));
  const x = tensor(
    floats(
      shape.reduce((a, b) => a * b, 1),
      7,
    ),
    shape,
  );
  const got = await infer(backend, { [input.name]: x });
  await backend.close();
  const expected = await reference('tiny-conv', { [input.name]: x });
  expect(Object.keys(got)).toEqual(Object.keys(expected));
  for (const [name, t] of Object.entries(expected)) {
    expect(got[name]!.shape).toEqual(t.shape);
    const a = got[name]!.data as Float32Array;
    (t.data as Float32Array).forEach((v, i) => expect(a[i]).toBeCloseTo(v, 4));
  }
});

test("inputs the graph cannot combine: INVALID_ARGUMENT with onnxruntime's message on one line", async () => {
  const backend = await createOnnxWebBackend(modelBytes('two-in-two-out'));
  const row = (n: number) => tensor(new Float32Array(n * 3), [n, 3]);
  const err = await rejection<GraphPipeError>(infer(backend, { a: row(2), b: row(5) }));
  await backend.close();
  expect(err).toBeInstanceOf(GraphPipeError);
  expect(err.code).toBe('INVALID_ARGUMENT');
  expect(err.message).toMatch(/^onnxruntime: .*broadcast/);
  expect(err.message).not.toContain('\n');
});

test('bytes that are not a model: INTERNAL, naming their size', async () => {
  const err = await rejection<GraphPipeError>(createOnnxWebBackend(new Uint8Array([1, 2, 3])));
  expect(err.code).toBe('INTERNAL');
  expect(err.message).toMatch(/^cannot load ONNX model \(3 bytes\): /);
});
