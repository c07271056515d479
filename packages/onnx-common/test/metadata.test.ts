import { readFileSync } from 'node:fs';
import { modelPath } from '@graphpipe/test-utils';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeModel } from '../src/metadata.js';
import { bytesSource, type ModelHeader, parseModelHeader } from '../src/model-header.js';
import type { SessionIO } from '../src/ort-types.js';

const headerOf = (file: string) => parseModelHeader(bytesSource(readFileSync(modelPath(file))));
const noHeader: ModelHeader = { metadataProps: new Map() };

describe('iris-classifier.onnx, as onnxruntime loads it', () => {
  let session: InferenceSession;
  beforeAll(async () => {
    session = await InferenceSession.create(modelPath('iris-classifier.onnx'));
  });
  afterAll(() => session.release());

  test('name, version, labels and examples from its metadata_props; specs from the session', () => {
    const { metadata, inputs } = describeModel(session, headerOf('iris-classifier.onnx'), 'fallback', {});
    expect(metadata).toMatchObject({
      name: 'iris-classifier',
      version: '1.0.0',
      platform: 'onnxruntime_onnx',
      labels: ['setosa', 'versicolor', 'virginica'],
      inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 4] }],
    });
    expect(metadata.outputs.map((o) => o.name)).toEqual(session.outputNames);
    expect(inputs.get('features')?.unsupported).toBeUndefined();
  });

  test('overrides win; without a header the fallback becomes the name', () => {
    const given = describeModel(session, headerOf('iris-classifier.onnx'), 'x', { name: 'mine', version: '7' });
    expect([given.metadata.name, given.metadata.version]).toEqual(['mine', '7']);
    expect(describeModel(session, noHeader, 'Iris Classifier.onnx', {}).metadata.name).toBe('Iris_Classifier.onnx');
    expect(() => describeModel(session, noHeader, 'x', { name: '../etc' })).toThrow();
  });
});

const io = (shape: (number | string)[], type = 'float32'): SessionIO => ({
  inputMetadata: [{ name: 'x', isTensor: true, type, shape }],
  outputMetadata: [{ name: 'seq', isTensor: false }],
});
const props = (entries: Record<string, string>): ModelHeader => ({ metadataProps: new Map(Object.entries(entries)) });

test('symbolic dims become -1; types and values GraphPipe cannot carry are described and marked', () => {
  const d = describeModel(io(['batch', 3], 'bfloat16'), noHeader, 'm', {});
  expect(d.metadata.inputs[0]).toMatchObject({ name: 'x', shape: [-1, 3] });
  expect(d.inputs.get('x')?.unsupported).toBe('input "x" has ONNX type bfloat16, which GraphPipe has no dtype for');
  expect(d.outputs.get('seq')?.unsupported).toBe(
    'output "seq" is an ONNX sequence, map or optional value, which GraphPipe cannot carry',
  );
});

test('labels as a JSON array, and examples read with the input dtype', () => {
  const d = describeModel(io([-1, 2]), props({ labels: '["a", "b,c"]', examples: '{"x": [[1, 2]]}' }), 'm', {});
  expect(d.metadata.labels).toEqual(['a', 'b,c']);
  expect(d.metadata.examples?.x).toEqual({ dtype: 'float32', shape: [1, 2], data: Float32Array.of(1, 2) });
});

test.each([
  [
    { labels: '[1, 2]' },
    'the model\'s metadata_props "labels" cannot be read: a JSON array of labels must hold strings only',
  ],
  [{ examples: '{' }, /metadata_props "examples" cannot be read: not valid JSON/],
  [
    { examples: '{"y": [1]}' },
    'the model\'s metadata_props "examples" cannot be read: "y" is not one of the model\'s inputs',
  ],
  [{ examples: '[1]' }, /expected a JSON object from input names to arrays/],
])('unreadable props %j: INVALID_ARGUMENT, naming the prop', (entries, message) => {
  expect(() => describeModel(io([-1]), props(entries), 'm', {})).toThrow(message);
});
