// The gRPC messages' tensors: every dtype round-trips through an encoded ModelInferRequest and
// ModelInferResponse as raw contents; aligned raw contents are views of the message, unaligned
// ones copied once; limits and mismatches are INVALID_ARGUMENT.
import { ALL_DTYPES, concatBytes, type Tensor, tensor } from '@graphpipe/protocol';
import {
  create,
  fromBinary,
  inferRequest,
  inferResponse,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  requestInputs,
  responseOutputs,
  tensorsOf,
  toBinary,
  encodeModelInferResponse,
  encodeModelStreamInferResponse,
  ModelStreamInferResponseSchema,
  rawInputContentsAt,
} from '@graphpipe/protocol/grpc';
import { describe, expect, test } from 'vitest';

const samples: Record<string, Tensor> = {
  uint8: tensor(new Uint8Array([0, 255]), [2]),
  int8: tensor(new Int8Array([-128, 127]), [2]),
  uint16: tensor(new Uint16Array([0, 65535]), [2]),
  int16: tensor(new Int16Array([-32768, 32767]), [1, 2]),
  uint32: tensor(new Uint32Array([0, 2 ** 32 - 1]), [2]),
  int32: tensor(new Int32Array([-(2 ** 31), 2 ** 31 - 1]), [2, 1]),
  uint64: tensor(new BigUint64Array([0n, 2n ** 64n - 1n]), [2]),
  int64: tensor(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), [2]),
  float16: tensor(new Uint16Array([0x3c00, 0x7e01]), [2], 'float16'),
  float32: tensor(new Float32Array([1.5, Number.NaN]), [2]),
  float64: tensor(new Float64Array([Math.PI, -0]), [2]),
  bool: tensor(new Uint8Array([1, 0]), [2], 'bool'),
  string: tensor(['', 'a\u0000b', new Uint8Array([0xff])], [3]),
};

const bytesOf = (t: Tensor) =>
  t.dtype === 'string'
    ? t.data.map((e) => Buffer.from(typeof e === 'string' ? e : e).toString('hex'))
    : Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');

describe('raw contents', () => {
  test('every dtype round-trips through a request and a response, bytes exact', () => {
    for (const dtype of ALL_DTYPES) {
      const t = samples[dtype]!;
      const request = fromBinary(
        ModelInferRequestSchema,
        toBinary(ModelInferRequestSchema, inferRequest({ modelName: 'm', inputs: [{ name: 'x', tensor: t }] })),
      );
      const [input] = requestInputs(request);
      expect(input!.tensor.dtype, dtype).toBe(dtype);
      expect(input!.tensor.shape).toEqual(t.shape);
      expect(bytesOf(input!.tensor)).toEqual(bytesOf(t));
      const response = fromBinary(
        ModelInferResponseSchema,
        toBinary(
          ModelInferResponseSchema,
          inferResponse({ modelName: 'm', modelVersion: '1', id: 'i', outputs: [{ name: 'y', tensor: t }] }),
        ),
      );
      expect(bytesOf(responseOutputs(response)[0]!.tensor)).toEqual(bytesOf(t));
    }
  });

  test('are views of the message where aligned, copies where not', () => {
    const data = new Float32Array(1024).map((_, i) => i);
    const encoded = toBinary(
      ModelInferRequestSchema,
      inferRequest({ modelName: 'm', inputs: [{ name: 'x', tensor: tensor(data) }] }),
    );
    const at = encoded.length - data.byteLength;
    // Placed so the raw contents start 4-aligned in one buffer, and off by one in another.
    for (const shift of [0, 1]) {
      const buffer = new ArrayBuffer(encoded.length + 8);
      const start = ((4 - (at % 4)) % 4) + shift;
      const message = new Uint8Array(buffer, start, encoded.length);
      message.set(encoded);
      const got = requestInputs(fromBinary(ModelInferRequestSchema, message))[0]!.tensor.data as Float32Array;
      expect(Array.from(got)).toEqual(Array.from(data));
      expect(got.buffer === buffer, `shift ${shift}`).toBe(shift === 0);
    }
  });
});

describe('refused with INVALID_ARGUMENT', () => {
  const request = (init: Parameters<typeof create<typeof ModelInferRequestSchema>>[1]) =>
    create(ModelInferRequestSchema, init);
  test.each([
    ['an unknown datatype', { inputs: [{ name: 'x', datatype: 'FP8', shape: [1n] }] }, /unknown datatype "FP8"/],
    ['a negative dimension', { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1n] }] }, /dimension 0 is -1/],
    [
      'raw contents of the wrong size',
      { inputs: [{ name: 'x', datatype: 'INT64', shape: [2n] }], rawInputContents: [new Uint8Array(8)] },
      /binary_data_size is 8/,
    ],
    [
      'raw BYTES that overrun',
      { inputs: [{ name: 'x', datatype: 'BYTES', shape: [1n] }], rawInputContents: [new Uint8Array([9, 0, 0, 0, 1])] },
      /claims 9 bytes/,
    ],
    [
      'an out-of-range uint',
      { inputs: [{ name: 'x', datatype: 'UINT8', shape: [1n], contents: { uintContents: [256] } }] },
      /out of range for UINT8/,
    ],
  ] as const)('%s', (_, init, message) => {
    expect(() => requestInputs(request(init as never))).toThrow(message);
    try {
      requestInputs(request(init as never));
    } catch (err) {
      expect((err as { code: string }).code).toBe('INVALID_ARGUMENT');
    }
  });

  test('the decode limits: tensors, rank, elements', () => {
    const t = { name: 'x', datatype: 'FP32', shape: [2n, 2n] };
    expect(() => tensorsOf([t, t], [], 'input', { maxTensors: 1 })).toThrow(/more than 1 inputs/);
    expect(() => tensorsOf([t], [], 'input', { maxRank: 1 })).toThrow(/rank 2 exceeds the limit of 1/);
    expect(() => tensorsOf([t], [], 'input', { maxElements: 3 })).toThrow(/exceeds the element limit/);
  });
});

test('encodeModelInferResponse gives the bytes protobuf-es gives the same answer, large contents uncopied', () => {
  const large = new Float64Array(16_384).map((_, i) => i / 3);
  const outputs = [
    { name: 'small', tensor: tensor(new Float32Array([1, 2, 3]), [3]) },
    // 128 KiB of contents: a length of three varint bytes, and sent as the tensor's own memory.
    { name: 'large', tensor: tensor(large, [128, 128]) },
    { name: 'words', tensor: tensor(['a', 'bc', ''], [3]) },
    { name: 'empty', tensor: tensor(new Int32Array(0), [0, 2]) },
  ];
  const init = { modelName: 'm', modelVersion: '2', id: 'req-1', outputs };
  const chunks = encodeModelInferResponse(init);
  expect(chunks).toHaveLength(3);
  expect(chunks[1]!.buffer).toBe(large.buffer);
  const encoded = concatBytes(chunks);
  expect(Buffer.from(encoded).equals(Buffer.from(toBinary(ModelInferResponseSchema, inferResponse(init))))).toBe(true);
  const decoded = responseOutputs(fromBinary(ModelInferResponseSchema, encoded));
  expect(decoded[1]!.tensor.data).toEqual(large);
  // Wrapped for ModelStreamInfer without being decoded: protobuf-es reads the same answer inside.
  const streamed = fromBinary(ModelStreamInferResponseSchema, concatBytes(encodeModelStreamInferResponse(chunks)));
  expect(toBinary(ModelInferResponseSchema, streamed.inferResponse!)).toEqual(encoded);
  // Small answers are one chunk.
  expect(encodeModelInferResponse({ ...init, outputs: [outputs[0]!] })).toHaveLength(1);
});

test('rawInputContentsAt finds the first raw contents in the head of a request, or says it cannot', () => {
  const request = inferRequest({
    modelName: 'model',
    id: 'x'.repeat(300),
    inputs: [
      { name: 'a', tensor: tensor(new Float32Array([1, 2, 3, 4]), [2, 2]) },
      { name: 'b', tensor: tensor(new Int32Array([7]), [1]) },
    ],
  });
  const bytes = toBinary(ModelInferRequestSchema, request);
  const at = rawInputContentsAt(bytes)!;
  expect(new Float32Array(bytes.slice(at, at + 16).buffer)).toEqual(new Float32Array([1, 2, 3, 4]));
  // Found from the first bytes alone; not when they end before it, nor in bytes that are not a message.
  expect(rawInputContentsAt(bytes.subarray(0, at))).toBe(at);
  expect(rawInputContentsAt(bytes.subarray(0, at - 2))).toBeUndefined();
  expect(rawInputContentsAt(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBeUndefined();
  // Nor when they end inside the contents' length (256 bytes: a varint of two bytes).
  const long = toBinary(
    ModelInferRequestSchema,
    inferRequest({ modelName: 'model', inputs: [{ name: 'a', tensor: tensor(new Float32Array(64), [64]) }] }),
  );
  const longAt = rawInputContentsAt(long)!;
  expect(long[longAt - 2]).toBeGreaterThanOrEqual(0x80);
  expect(rawInputContentsAt(long.subarray(0, longAt - 1))).toBeUndefined();
  expect(rawInputContentsAt(new Uint8Array([(3 << 3) | 7]))).toBeUndefined();
});
