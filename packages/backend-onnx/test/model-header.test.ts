import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelPath } from '@graphpipe/test-utils';
import fc from 'fast-check';
import onnxProto from 'onnx-proto';
import { expect, test } from 'vitest';
import { readModelHeader } from '../src/model-header.js';

const { onnx } = onnxProto;

/** A ModelProto with a large initializer in its graph, as the reader must skip the graph. */
function encode(docString: string, modelVersion: number, props: Record<string, string>): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'test',
    modelVersion,
    docString,
    graph: {
      name: 'g',
      initializer: [{ name: 'w', dims: [4096], dataType: 1, rawData: new Uint8Array(16384).fill(0x80) }],
    },
    opsetImport: [{ domain: '', version: 17 }],
    metadataProps: Object.entries(props).map(([key, value]) => ({ key, value })),
  }).finish();
}

test('reads the fields onnx-proto wrote, skipping the graph', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme' }),
      fc.nat(),
      fc.dictionary(fc.string(), fc.string({ unit: 'grapheme' })),
      (doc, version, props) => {
        const header = readModelHeader(encode(doc, version, props));
        expect(header.docString ?? '').toBe(doc);
        expect(header.modelVersion ?? 0).toBe(version);
        expect(header.producerName).toBe('test');
        expect(Object.fromEntries(header.metadataProps)).toEqual(props);
      },
    ),
    { numRuns: 50 },
  );
});

test('metadata keys that name Object.prototype members stay plain keys', () => {
  const props = JSON.parse('{"__proto__": "p", "constructor": "c", "toString": "t"}') as Record<string, string>;
  expect([...readModelHeader(encode('', 0, props)).metadataProps]).toEqual([
    ['__proto__', 'p'],
    ['constructor', 'c'],
    ['toString', 't'],
  ]);
});

test('reads a model file by path', () => {
  const header = readModelHeader(modelPath('iris-classifier.onnx'));
  expect(Object.fromEntries(header.metadataProps)).toMatchObject({
    name: 'iris-classifier',
    version: '1.0.0',
    labels: 'setosa,versicolor,virginica',
  });
  expect(header.modelVersion).toBe(1);
});

test('a path and the same bytes give the same header', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gp-onnx-'));
  try {
    const bytes = encode('doc', 7, { a: 'b' });
    writeFileSync(join(dir, 'm.onnx'), bytes);
    expect(readModelHeader(join(dir, 'm.onnx'))).toEqual(readModelHeader(bytes));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('an ORT-format (flatbuffer) model has no header to read', () => {
  const ort = new Uint8Array(64);
  ort.set(new TextEncoder().encode('ORTM'), 4);
  expect(readModelHeader(ort)).toEqual({ metadataProps: new Map() });
});
