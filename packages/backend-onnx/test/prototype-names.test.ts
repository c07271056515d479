import { type Tensor, tensor } from '@graphpipe/protocol';
import { encodeModel, node, valueInfo } from '@graphpipe/test-utils/onnx';
import { describe, expect, test } from 'vitest';
import { createOnnxBackend } from '../src/index.js';
import { infer } from './helpers.js';

/** ONNX allows any string as a name, including ones that are Object.prototype members in JavaScript. */
const model = encodeModel({
  name: 'prototype_names',
  doc: 'toString = __proto__; hasOwnProperty = constructor.',
  inputs: [valueInfo('__proto__', 'float32', ['n']), valueInfo('constructor', 'float32', ['n'])],
  outputs: [valueInfo('toString', 'float32', ['n']), valueInfo('hasOwnProperty', 'float32', ['n'])],
  nodes: [node('Identity', ['__proto__'], ['toString']), node('Identity', ['constructor'], ['hasOwnProperty'])],
});

const f32 = (...values: number[]) => tensor(new Float32Array(values), [values.length]);

describe.each([0, 1])('inputs and outputs named like Object.prototype members, workers: %i', (workers) => {
  test('reach onnxruntime and come back under their own names', async () => {
    const backend = await createOnnxBackend(model, { workers });
    try {
      // As the server hands them over: own keys, whatever their names.
      const inputs = Object.fromEntries<Tensor>([
        ['__proto__', f32(1, 2)],
        ['constructor', f32(3)],
      ]);
      const out = await infer(backend, inputs);
      expect(Object.entries(out)).toEqual([
        ['toString', f32(1, 2)],
        ['hasOwnProperty', f32(3)],
      ]);
    } finally {
      await backend.close();
    }
  });
});
