import { readFileSync } from 'node:fs';
import { modelPath } from '@graphpipe/test-utils';
import onnxProto from 'onnx-proto';
import { expect, test } from 'vitest';
import { bytesSource, modelHeaderOr, parseModelHeader } from '../src/model-header.js';

const { onnx } = onnxProto;

test('reads the header of a committed model, as onnx-proto decodes it', () => {
  const bytes = readFileSync(modelPath('iris-classifier.onnx'));
  const reference = onnx.ModelProto.decode(bytes);
  const header = parseModelHeader(bytesSource(bytes));
  expect(header.docString ?? '').toBe(reference.docString);
  expect(header.modelVersion ?? 0).toBe(Number(reference.modelVersion));
  expect(header.producerName).toBe(reference.producerName);
  expect(Object.fromEntries(header.metadataProps)).toEqual(
    Object.fromEntries(reference.metadataProps.map((p) => [p.key, p.value])),
  );
  expect(header.metadataProps.get('name')).toBe('iris-classifier');
});

test('a metadata key named __proto__ stays a key', () => {
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    metadataProps: [{ key: '__proto__', value: 'p' }],
  }).finish();
  expect([...parseModelHeader(bytesSource(bytes)).metadataProps]).toEqual([['__proto__', 'p']]);
});

test('an ORT-format (flatbuffer) model has no header to read', () => {
  const ort = new Uint8Array(64);
  ort.set(new TextEncoder().encode('ORTM'), 4);
  expect(parseModelHeader(bytesSource(ort))).toEqual({ metadataProps: new Map() });
});

test('modelHeaderOr: bytes that are not a header give an empty one rather than an error', () => {
  // Field 1 with wire type 7, which protobuf does not have.
  const garbage = bytesSource(new Uint8Array([0x0f, 0x00]));
  expect(() => parseModelHeader(garbage)).toThrow('unexpected protobuf wire type 7 at byte 1');
  expect(modelHeaderOr(() => parseModelHeader(garbage))).toEqual({ metadataProps: new Map() });
  const good = bytesSource(readFileSync(modelPath('iris-classifier.onnx')));
  expect(modelHeaderOr(() => parseModelHeader(good)).metadataProps.get('name')).toBe('iris-classifier');
});
