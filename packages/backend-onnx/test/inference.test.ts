import { tensor } from '@graphpipe/protocol';
import { modelPath } from '@graphpipe/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../src/index.js';
import { floats, infer, runDirect } from './helpers.js';

const SINGLE_INPUT_MODELS = [
  { model: 'matmul-add-relu', input: 'x', dims: [8] },
  { model: 'tiny-conv', input: 'image', dims: [3, 32, 32] },
  { model: 'iris-classifier', input: 'features', dims: [4] },
];

describe.each(SINGLE_INPUT_MODELS)('$model equals a direct onnxruntime run', ({ model, input, dims }) => {
  let backend: OnnxBackend;
  beforeAll(async () => {
    backend = await createOnnxBackend(modelPath(`${model}.onnx`));
  });
  afterAll(() => backend.close());

  test.each([1, 5, 64])('batch %i', async (batch) => {
    const shape = [batch, ...dims];
    const x = tensor(
      floats(
        shape.reduce((a, b) => a * b),
        batch,
      ),
      shape,
      'float32',
    );
    const [ours, direct] = await Promise.all([infer(backend, { [input]: x }), runDirect(model, { [input]: x })]);
    expect(Object.keys(ours)).toEqual(Object.keys(direct));
    for (const [name, want] of Object.entries(direct)) {
      expect(ours[name]!.shape).toEqual(want.dims);
      expect(ours[name]!.data).toEqual(want.data);
    }
  });
});

describe('two inputs, two outputs', () => {
  let backend: OnnxBackend;
  const a = tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
  const b = tensor(new Float32Array([10, 20, 30, 40, 50, 60]), [2, 3]);
  const sum = new Float32Array([11, 22, 33, 44, 55, 66]);
  const product = new Float32Array([10, 40, 90, 160, 250, 360]);
  beforeAll(async () => {
    backend = await createOnnxBackend(modelPath('two-in-two-out.onnx'));
  });
  afterAll(() => backend.close());

  test('no output names: every output', async () => {
    const out = await infer(backend, { a, b });
    expect(out).toEqual({
      sum: { dtype: 'float32', shape: [2, 3], data: sum },
      product: { dtype: 'float32', shape: [2, 3], data: product },
    });
  });

  // The second output alone is the case onnxruntime-node 1.23 mislabels (see @graphpipe/onnx-common's fetch-outputs.ts).
  test.each([[['product']], [['sum']], [['product', 'sum']]])('only %j', async (names) => {
    const out = await infer(backend, { a, b }, names);
    expect(Object.keys(out).sort()).toEqual([...names].sort());
    if (out.sum) expect(out.sum.data).toEqual(sum);
    if (out.product) expect(out.product.data).toEqual(product);
  });
});
