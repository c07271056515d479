import { GraphPipeError, tensor } from '@graphpipe/protocol';
import { modelPath, rejection } from '@graphpipe/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOnnxBackend, type OnnxBackend } from '../src/index.js';
import { infer } from './helpers.js';

const row = (n: number) => tensor(new Float32Array(n * 3), [n, 3]);

describe('request errors', () => {
  let backend: OnnxBackend;
  beforeAll(async () => {
    backend = await createOnnxBackend(modelPath('two-in-two-out.onnx'));
  });
  afterAll(() => backend.close());

  test('batch sizes the metadata allows but the graph cannot combine: INVALID_ARGUMENT, one line', async () => {
    const err = await rejection<GraphPipeError>(infer(backend, { a: row(2), b: row(5) }));
    expect(err).toBeInstanceOf(GraphPipeError);
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^onnxruntime: .*broadcast/);
    expect(err.message).not.toContain('\n');
  });

  test('an unknown output: INVALID_ARGUMENT', async () => {
    const err = await rejection<GraphPipeError>(infer(backend, { a: row(1), b: row(1) }, ['nope']));
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', message: 'the model has no output "nope"' });
  });

  test('an already aborted request does not run', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await rejection<GraphPipeError>(
      backend.infer({ a: row(1), b: row(1) }, [], { config: '', signal: controller.signal }),
    );
    expect(err.code).toBe('ABORTED');
  });
});

test('a closed backend answers UNAVAILABLE; closing twice is fine', async () => {
  const backend = await createOnnxBackend(modelPath('two-in-two-out.onnx'));
  await backend.close();
  await backend.close();
  expect((await rejection<GraphPipeError>(infer(backend, { a: row(1), b: row(1) }))).code).toBe('UNAVAILABLE');
});

test('a model onnxruntime cannot load', async () => {
  const err = await rejection<GraphPipeError>(createOnnxBackend(new Uint8Array([1, 2, 3])));
  expect(err).toMatchObject({
    code: 'INTERNAL',
    message: expect.stringMatching(/^cannot load ONNX model \(3 bytes\): .*protobuf/),
  });
});
