// onnxruntime-node takes string tensors as JS strings, which end at NUL: text reaches the model and
// comes back byte for byte, and an element it cannot carry exactly (not UTF-8, or holding NUL) is a
// 400 naming the input and the element, over both protocols, never a 200 with other bytes.
import {
  byteValues,
  DTYPES,
  GraphPipeError,
  RemoteModel,
  type Tensor,
  type TensorOf,
  tensor,
  typedArrayFor,
} from '@graphpipe/client';
import { type ServerHandle, serve } from '@graphpipe/server-core/node';
import { modelPath, rejection } from '@graphpipe/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createOnnxBackend } from '../src/index.js';

const utf8 = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

let server: ServerHandle;
beforeAll(async () => {
  server = await serve(await createOnnxBackend(modelPath('identity-dtypes.onnx')), { port: 0, logger: false });
});
afterAll(() => server.close());

const PROTOCOLS = [
  ['GraphPipe', { protocol: 'graphpipe' }],
  ['v2 binary', { protocol: 'v2', model: 'identity-dtypes' }],
  ['v2 JSON', { protocol: 'v2', model: 'identity-dtypes', encoding: 'json' }],
] as const;

/** The model takes one input per dtype: the others go empty. */
const OTHERS: Record<string, Tensor> = Object.fromEntries(
  DTYPES.filter((d) => d !== 'string').map((d) => [`in_${d}`, tensor(new (typedArrayFor(d))(0), [0], d)]),
);

describe.each(PROTOCOLS)('the ONNX identity model over %s', (_label, options) => {
  const call = (elements: Uint8Array[]) =>
    new RemoteModel(server.url, options).infer(
      { ...OTHERS, in_string: tensor(elements, [elements.length]) },
      {
        outputNames: ['out_string'],
      },
    );

  test('returns UTF-8 text byte for byte: a leading U+FEFF, empty, 64 KiB', async () => {
    const elements = [
      utf8.encode('\ufeffhéllo'),
      new Uint8Array(0),
      utf8.encode('日本語😀'),
      utf8.encode('x'.repeat(65536)),
    ];
    const { outputs } = await call(elements);
    expect(byteValues(outputs[0] as TensorOf<'string'>).map(hex)).toEqual(elements.map(hex));
  });

  test.each([
    ['not UTF-8', Uint8Array.of(0xff, 0xfe), /input "in_string": element 1 is not valid UTF-8 text/],
    ['a NUL', utf8.encode('a\0b'), /input "in_string": element 1 holds a NUL byte/],
  ])('refuses an element with %s: 400 naming the input and index', async (_what, bad, message) => {
    const err = await rejection(call([utf8.encode('ok'), bad]));
    expect(err).toBeInstanceOf(GraphPipeError);
    expect((err as GraphPipeError).status).toBe(400);
    expect((err as GraphPipeError).code).toBe('INVALID_ARGUMENT');
    expect((err as GraphPipeError).message).toMatch(message);
    expect((err as GraphPipeError).message).toMatch(/takes UTF-8 text without NUL bytes/);
  });
});
