import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { modelPath } from '@graphpipe/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fetchOrder, resultsByName } from '../src/fetch-outputs.js';

test('fetchOrder keeps the wanted outputs in the model order, dropping names the model lacks', () => {
  expect(fetchOrder(['a', 'b', 'c'], ['c', 'a'])).toEqual(['a', 'c']);
  expect(fetchOrder(['a', 'b', 'c'], [])).toEqual([]);
  expect(fetchOrder(['a', 'b'], ['z'])).toEqual([]);
});

test('resultsByName renames results keyed by the leading model outputs to the fetched names', () => {
  const misnamed = { a: 1, b: 2 };
  expect(resultsByName(misnamed, ['b', 'c'], ['a', 'b', 'c'])).toEqual({ b: 1, c: 2 });
  const correct = { b: 1, c: 2 };
  expect(resultsByName(correct, ['b', 'c'], ['a', 'b', 'c'])).toBe(correct);
});

// two-in-two-out: sum = a + b, product = a * b; fetching product alone is the case 1.23 mislabels.
let session: InferenceSession;
beforeAll(async () => {
  session = await InferenceSession.create(modelPath('two-in-two-out.onnx'));
});
afterAll(() => session.release());

test.each([[['product']], [['sum']], [['product', 'sum']]])(
  'a real partial fetch of %j comes back under the right names',
  async (wanted) => {
    const feeds = {
      a: new OrtTensor('float32', Float32Array.of(2, 3, 4), [1, 3]),
      b: new OrtTensor('float32', Float32Array.of(5, 6, 7), [1, 3]),
    };
    const fetched = fetchOrder(session.outputNames, wanted);
    const results = resultsByName(await session.run(feeds, fetched), fetched, session.outputNames);
    const expected: Record<string, number[]> = { sum: [7, 9, 11], product: [10, 18, 28] };
    expect(Object.keys(results).sort()).toEqual([...wanted].sort());
    for (const name of wanted) expect(Array.from(results[name]!.data as Float32Array)).toEqual(expected[name]);
  },
);
