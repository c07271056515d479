import { OnnxBackend as Backend, describeModel, type OrtValueMetadata, type Runner } from '@graphpipe/onnx-common';
import { GraphPipeError, tensor } from '@graphpipe/protocol';
import { modelPath } from '@graphpipe/test-utils';
import { Tensor as OrtTensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../src/index.js';
import { readModelHeader } from '../src/model-header.js';
import { infer } from './helpers.js';

// bool-io.onnx: inputs x float32 [n] and mask bool [n]; outputs masked float32 [n] (x where mask, else 0)
// and positive bool [n] (x > 0).
describe('bool inputs and outputs', () => {
  let backend: OnnxBackend;
  beforeAll(async () => {
    backend = await createOnnxBackend(modelPath('bool-io.onnx'));
  });
  afterAll(() => backend.close());

  test('are declared as bool', () => {
    expect(backend.metadata.inputs).toEqual([
      { name: 'x', dtype: 'float32', shape: [-1] },
      { name: 'mask', dtype: 'bool', shape: [-1] },
    ]);
    expect(backend.metadata.outputs).toEqual([
      { name: 'masked', dtype: 'float32', shape: [-1] },
      { name: 'positive', dtype: 'bool', shape: [-1] },
    ]);
    expect(backend.defaultOutputs).toEqual(['masked', 'positive']);
  });

  test('run, with and without workers', async () => {
    const pooled = await createOnnxBackend(modelPath('bool-io.onnx'), { workers: 1 });
    try {
      for (const b of [backend, pooled]) {
        const out = await infer(b, {
          x: tensor(new Float32Array([1.5, -1, 2])),
          mask: tensor(new Uint8Array([1, 1, 0]), [3], 'bool'),
        });
        expect(out.masked).toEqual(tensor(new Float32Array([1.5, -1, 0])));
        expect(out.positive).toEqual(tensor(new Uint8Array([1, 0, 1]), [3], 'bool'));
      }
    } finally {
      await pooled.close();
    }
  });
});

describe('types we have no dtype for', () => {
  const io = (name: string, type: string) =>
    ({ name, isTensor: true, type, shape: ['n'] }) as unknown as OrtValueMetadata;
  const model = describeModel(
    {
      inputMetadata: [io('x', 'float32'), io('q', 'int4')],
      outputMetadata: [io('y', 'float32'), io('h', 'bfloat16')],
    },
    readModelHeader(modelPath('bool-io.onnx')),
    'odd.onnx',
    {},
  );

  test('are listed without a dtype, saying why', () => {
    expect(model.metadata.inputs[1]).toEqual({
      name: 'q',
      shape: [-1],
      description: 'ONNX int4 tensor; GraphPipe has no int4 dtype',
    });
    expect(model.outputs.get('h')!.unsupported).toBe(
      'output "h" has ONNX type bfloat16, which GraphPipe has no dtype for',
    );
    expect(model.inputs.get('q')!.unsupported).toBe('input "q" has ONNX type int4, which GraphPipe has no dtype for');
  });

  test('are left out of the default outputs, and a request using one fails with INVALID_ARGUMENT', async () => {
    const runner = { offThread: false, run: () => Promise.reject(new Error('never run')), close: async () => {} };
    const backend = new Backend(runner as unknown as Runner, model, 1, OrtTensor);
    expect(backend.defaultOutputs).toEqual(['y']);
    const x = tensor(new Float32Array([1]));
    await expect(infer(backend, { x, q: x })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'input "q" has ONNX type int4, which GraphPipe has no dtype for',
    });
    await expect(infer(backend, { x }, ['h'])).rejects.toBeInstanceOf(GraphPipeError);
  });
});
