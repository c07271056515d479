// Property tests: every dtype round-trips exactly through every encoder/decoder pair, chunked
// encodings equal the joined ones without copying payloads, and our payloads decode as views.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DTYPES,
  decodeInferResponse,
  decodeMetadataResponse,
  decodeRequest,
  decodeTensor,
  elementCount,
  elementSize,
  encodeInferRequest,
  encodeInferRequestChunks,
  encodeInferResponse,
  encodeInferResponseChunks,
  encodeMetadataResponse,
  encodeTensor,
  typedArrayFor,
  type DType,
  type InferRequest,
  type InferRequestInit,
  type InferResponse,
  type MetadataResponseInit,
  type NumericDType,
  type Tensor,
  type TypedArray,
} from '@graphpipe/protocol';
import {
  bytesOf,
  concat,
  genInferResponse,
  genMetadataResponse,
  genRequest,
  normalize,
  utf8,
  dataOf,
} from './helpers.js';

const NUMERIC = DTYPES.filter((d): d is NumericDType => d !== 'string');

// Up to 4 dims of 0..4: scalars ([]) and zero-size dims come up often; at most 256 elements.
const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });

/**
 * Puts `bytes` at an element-aligned, non-zero offset of a larger buffer, so a payload chunk that
 * is "the caller's own array" is distinguishable from a copy by buffer and offset.
 */
function typedAt(dtype: NumericDType, bytes: Uint8Array, pad: number): TypedArray {
  const size = elementSize(dtype);
  const offset = pad * size;
  const buffer = new ArrayBuffer(offset + bytes.length + size);
  new Uint8Array(buffer, offset).set(bytes);
  const Ctor = typedArrayFor(dtype);
  return new Ctor(buffer, offset, bytes.length / size);
}

function elementsArb(dtype: NumericDType, count: number): fc.Arbitrary<Uint8Array> {
  const fixed = { minLength: count, maxLength: count };
  switch (dtype) {
    case 'int64':
      return fc
        .array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fixed)
        .map((v) => bytesOf(BigInt64Array.from(v)));
    case 'uint64':
      return fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fixed).map((v) => bytesOf(BigUint64Array.from(v)));
    case 'float16':
      // Raw half-precision bits, NaN and infinity patterns included.
      return fc.array(fc.integer({ min: 0, max: 0xffff }), fixed).map((v) => bytesOf(Uint16Array.from(v)));
    default:
      // Raw bytes: for floats this covers NaN payloads, -0 and subnormals bit for bit.
      return fc.uint8Array({ minLength: count * elementSize(dtype), maxLength: count * elementSize(dtype) });
  }
}

const stringElementArb = fc.oneof(
  fc.uint8Array({ maxLength: 12 }), // arbitrary bytes, mostly not UTF-8
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constant(new Uint8Array([0xff, 0xfe, 0x00, 0xc0])),
);

function tensorArb(dtype: DType): fc.Arbitrary<Tensor> {
  return shapeArb.chain((shape) => {
    const count = elementCount(shape);
    if (dtype === 'string') {
      return fc
        .array(stringElementArb, { minLength: count, maxLength: count })
        .map((data): Tensor => ({ dtype: 'string', shape, data }));
    }
    return fc
      .tuple(elementsArb(dtype, count), fc.integer({ min: 0, max: 3 }))
      .map(([bytes, pad]) => ({ dtype, shape, data: typedAt(dtype, bytes, pad) }) as Tensor);
  });
}

const anyTensorArb = fc.constantFrom(...DTYPES).chain(tensorArb);
const tensorsArb = fc.array(anyTensorArb, { maxLength: 5 });
const nameArb = fc.string({ unit: 'grapheme', maxLength: 8 });

/** Exact comparison: dtype, shape, typed-array class and bytes; string elements as bytes. */
function expectSameTensor(actual: Tensor, expected: Tensor) {
  expect(actual.dtype).toBe(expected.dtype);
  expect(actual.shape).toEqual(expected.shape);
  if (expected.dtype === 'string') {
    const want = expected.data.map((s) => (typeof s === 'string' ? utf8(s) : s));
    expect(actual.data).toHaveLength(want.length);
    (actual.data as Uint8Array[]).forEach((got, i) => {
      expect(got).toBeInstanceOf(Uint8Array);
      expect(Array.from(got)).toEqual(Array.from(want[i]!));
    });
  } else {
    expect(actual.data.constructor).toBe(typedArrayFor(expected.dtype));
    expect(actual.data.length).toBe(expected.data.length);
    expect(Array.from(bytesOf(actual.data as TypedArray))).toEqual(Array.from(bytesOf(expected.data)));
  }
}

/** Our payloads are 8-aligned, so every numeric tensor decodes as a view of the message. */
function expectViewsOf(tensors: readonly Tensor[], message: Uint8Array) {
  for (const t of tensors) {
    if (t.dtype === 'string') continue;
    expect(dataOf(t).buffer).toBe(message.buffer);
    expect(t.data.byteOffset % 8).toBe(0);
  }
}

/** The nonempty numeric payloads of `tensors`, as the chunk list must carry them: the caller's own bytes. */
function expectPayloadChunks(chunks: readonly Uint8Array[], tensors: readonly Tensor[]) {
  const payloads = tensors
    .filter((t) => t.dtype !== 'string' && t.data.byteLength > 0)
    .map((t) => t.data as TypedArray);
  const owned = new Set(payloads.map((p) => p.buffer));
  const carried = chunks.filter((c) => owned.has(c.buffer));
  expect(carried).toHaveLength(payloads.length);
  carried.forEach((c, i) => {
    expect(c.buffer).toBe(payloads[i]!.buffer);
    expect(c.byteOffset).toBe(payloads[i]!.byteOffset);
    expect(c.byteLength).toBe(payloads[i]!.byteLength);
  });
  // The rest is header and padding: one header chunk, then one gap (padding and the next length
  // prefix) before each further numeric payload, empty ones included.
  const numeric = tensors.filter((t) => t.dtype !== 'string').length;
  expect(chunks.length - carried.length).toBe(Math.max(1, numeric));
}

describe('tensor round trips (fast-check)', () => {
  it.each(DTYPES)('%s: encodeTensor -> decodeTensor is exact, numeric data as a view', (dtype) => {
    fc.assert(
      fc.property(tensorArb(dtype), (t) => {
        const bytes = encodeTensor(t);
        const back = decodeTensor(bytes);
        expectSameTensor(back, t);
        expectViewsOf([back], bytes);
      }),
      { numRuns: 60 },
    );
  });

  it('encodeInferRequest -> decodeRequest is exact, and flatc accessors agree', () => {
    const initArb = fc.record({
      inputs: tensorsArb,
      inputNames: fc.array(nameArb, { maxLength: 4 }),
      outputNames: fc.array(nameArb, { maxLength: 4 }),
      config: fc.string({ unit: 'grapheme', maxLength: 20 }),
    });
    fc.assert(
      fc.property(initArb, (init) => {
        const bytes = encodeInferRequest(init);
        const back = decodeRequest(bytes) as InferRequest;
        expect(back.kind).toBe('infer');
        expect(back.config).toBe(init.config);
        expect(back.inputNames).toEqual(init.inputNames);
        expect(back.outputNames).toEqual(init.outputNames);
        expect(back.inputs).toHaveLength(init.inputs.length);
        back.inputs.forEach((t, i) => expectSameTensor(t, init.inputs[i]!));
        expectViewsOf(back.inputs, bytes);
        expect(genRequest(bytes)).toEqual(normalize(back));
      }),
      { numRuns: 100 },
    );
  });

  it('encodeInferResponse -> decodeInferResponse is exact (outputs and errors), and flatc accessors agree', () => {
    const errorArb = fc.record({ code: fc.maxSafeInteger(), message: fc.string({ unit: 'grapheme', maxLength: 20 }) });
    const initArb = fc.record({ outputs: tensorsArb, errors: fc.array(errorArb, { maxLength: 3 }) });
    fc.assert(
      fc.property(initArb, (init) => {
        const bytes = encodeInferResponse(init);
        const back = decodeInferResponse(bytes);
        expect(back.errors).toEqual(init.errors);
        expect(back.outputs).toHaveLength(init.outputs.length);
        back.outputs.forEach((t, i) => expectSameTensor(t, init.outputs[i]!));
        expectViewsOf(back.outputs, bytes);
        expect(genInferResponse(bytes)).toEqual(normalize(back));
      }),
      { numRuns: 100 },
    );
  });

  it('scalars (shape []) and zero-size dims of every dtype, deterministically', () => {
    for (const dtype of NUMERIC) {
      const Ctor = typedArrayFor(dtype);
      const size = elementSize(dtype);
      const one = new Ctor(1);
      bytesOf(one).set(Array.from({ length: size }, (_, i) => 0x11 * (i + 1)));
      for (const t of [
        { dtype, shape: [], data: one },
        { dtype, shape: [0], data: new Ctor(0) },
        { dtype, shape: [3, 0, 2], data: new Ctor(0) },
      ] as Tensor[]) {
        const bytes = encodeTensor(t);
        const back = decodeTensor(bytes);
        expectSameTensor(back, t);
        expectViewsOf([back], bytes);
        const resp = encodeInferResponse({ outputs: [t, t] });
        decodeInferResponse(resp).outputs.forEach((o) => expectSameTensor(o, t));
      }
    }
    const scalar: Tensor = { dtype: 'string', shape: [], data: [new Uint8Array([0x80])] };
    expectSameTensor(decodeTensor(encodeTensor(scalar)), scalar);
    const empty: Tensor = { dtype: 'string', shape: [2, 0], data: [] };
    expectSameTensor(decodeTensor(encodeTensor(empty)), empty);
  });

  it('a String tensor keeps arbitrary non-UTF-8 bytes exactly (no replacement characters)', () => {
    const raw = [
      new Uint8Array([0xff, 0xfe]),
      new Uint8Array([0xed, 0xa0, 0x80]),
      new Uint8Array([0]),
      new Uint8Array([]),
    ];
    const t: Tensor = { dtype: 'string', shape: [2, 2], data: raw };
    const back = decodeTensor(encodeTensor(t));
    expect((back.data as Uint8Array[]).map((b) => Array.from(b))).toEqual(raw.map((b) => Array.from(b)));
  });
});

describe('chunked encodings', () => {
  it("encodeInferRequestChunks concatenates to encodeInferRequest; payload chunks are the callers' arrays", () => {
    const initArb = fc.record({
      inputs: tensorsArb,
      inputNames: fc.array(nameArb, { maxLength: 3 }),
      config: fc.string({ maxLength: 5 }),
    });
    fc.assert(
      fc.property(initArb, (init: InferRequestInit) => {
        const chunks = encodeInferRequestChunks(init);
        expect(concat(chunks)).toEqual(encodeInferRequest(init));
        expectPayloadChunks(chunks, init.inputs);
      }),
      { numRuns: 100 },
    );
  });

  it("encodeInferResponseChunks concatenates to encodeInferResponse; payload chunks are the callers' arrays", () => {
    const initArb = fc.record({
      outputs: tensorsArb,
      errors: fc.array(fc.record({ code: fc.integer(), message: fc.string({ maxLength: 5 }) }), { maxLength: 2 }),
    });
    fc.assert(
      fc.property(initArb, (init) => {
        const chunks = encodeInferResponseChunks(init);
        expect(concat(chunks)).toEqual(encodeInferResponse(init));
        expectPayloadChunks(chunks, init.outputs);
      }),
      { numRuns: 100 },
    );
  });

  it("a payload chunk shares memory with the caller's array (a later write shows through)", () => {
    const data = new Float64Array([1, 2, 3]);
    const chunks = encodeInferResponseChunks({ outputs: [{ dtype: 'float64', shape: [3], data }] });
    const payload = chunks.find((c) => c.buffer === data.buffer)!;
    expect(payload).toBeDefined();
    data[1] = 99;
    expect(new Float64Array(payload.slice().buffer)).toEqual(new Float64Array([1, 99, 3]));
    // The joined message of the chunks decodes to the new value, as a view.
    const joined = concat(chunks);
    const out = decodeInferResponse(joined).outputs[0]!;
    expect(Array.from(out.data as Float64Array)).toEqual([1, 99, 3]);
    expect(dataOf(out).buffer).toBe(joined.buffer);
  });

  it('a message without numeric payloads is one chunk', () => {
    const init = { inputs: [{ dtype: 'string', shape: [1], data: ['x'] }] as Tensor[] };
    const chunks = encodeInferRequestChunks(init);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toEqual(encodeInferRequest(init));
  });
});

describe('metadata responses (fast-check)', () => {
  const ioArb = fc.record({
    name: nameArb,
    description: fc.string({ unit: 'grapheme', maxLength: 12 }),
    shape: fc.option(
      fc.array(fc.oneof(fc.constant(-1), fc.nat(1000), fc.maxSafeInteger(), fc.constant(Number.MIN_SAFE_INTEGER)), {
        maxLength: 5,
      }),
      { nil: undefined },
    ),
    dtype: fc.option(fc.constantFrom(...DTYPES), { nil: undefined }),
  });
  const initArb = fc.record({
    name: nameArb,
    version: nameArb,
    server: nameArb,
    description: fc.string({ unit: 'grapheme', maxLength: 30 }),
    inputs: fc.array(ioArb, { maxLength: 4 }),
    outputs: fc.array(ioArb, { maxLength: 4 }),
  });

  it('encodeMetadataResponse -> decodeMetadataResponse is exact (-1 dims, any rank, scalars, undefined dtype), and flatc accessors agree', () => {
    fc.assert(
      fc.property(initArb, (init) => {
        const bytes = encodeMetadataResponse(init);
        const back = decodeMetadataResponse(bytes);
        expect(back).toEqual(init);
        expect(genMetadataResponse(bytes)).toEqual(back);
      }),
      { numRuns: 100 },
    );
  });

  it('omitted fields decode as empty strings, empty lists and an undefined dtype; no shape stays apart from a scalar', () => {
    const init: MetadataResponseInit = {
      name: 'm',
      inputs: [{ name: 'x', shape: [-1, 4] }],
      outputs: [{ name: 'y' }, { name: 'z', shape: [] }],
    };
    expect(decodeMetadataResponse(encodeMetadataResponse(init))).toEqual({
      name: 'm',
      version: '',
      server: '',
      description: '',
      inputs: [{ name: 'x', description: '', shape: [-1, 4], dtype: undefined }],
      outputs: [
        { name: 'y', description: '', shape: undefined, dtype: undefined },
        { name: 'z', description: '', shape: [], dtype: undefined },
      ],
    });
    expect(decodeMetadataResponse(encodeMetadataResponse({}))).toEqual({
      name: '',
      version: '',
      server: '',
      description: '',
      inputs: [],
      outputs: [],
    });
  });
});

describe('bool on the GraphPipe wire', () => {
  it('travels as uint8, byte for byte, and decodes as uint8', () => {
    const bits = new Uint8Array([1, 0, 1]);
    const asBool = encodeInferRequest({ inputs: [{ dtype: 'bool', shape: [3], data: bits }] });
    const asUint8 = encodeInferRequest({ inputs: [{ dtype: 'uint8', shape: [3], data: bits }] });
    expect(asBool).toEqual(asUint8);
    const decoded = decodeRequest(asBool);
    expect(decoded.kind === 'infer' && decoded.inputs[0]).toEqual({ dtype: 'uint8', shape: [3], data: bits });
    const meta = encodeMetadataResponse({ inputs: [{ name: 'mask', dtype: 'bool', shape: [-1] }] });
    expect(decodeMetadataResponse(meta).inputs[0]!.dtype).toBe('uint8');
  });
});

describe('encoder input checks', () => {
  it('rejects a tensor whose data does not fit its shape', () => {
    expect(() => encodeTensor({ dtype: 'float32', shape: [2, 2], data: new Float32Array(3) })).toThrow(TypeError);
    expect(() => encodeTensor({ dtype: 'string', shape: [2], data: ['a'] })).toThrow(TypeError);
    expect(() => encodeTensor({ dtype: 'uint8', shape: [-1], data: new Uint8Array(0) } as Tensor)).toThrow(TypeError);
  });

  it('rejects a typed array whose element size does not match the dtype', () => {
    expect(() =>
      encodeTensor({ dtype: 'float64', shape: [2], data: new Float32Array(2) } as unknown as Tensor),
    ).toThrow(TypeError);
    expect(() => encodeTensor({ dtype: 'nope', shape: [1], data: new Uint8Array(1) } as unknown as Tensor)).toThrow(
      TypeError,
    );
  });

  it('encodes the same init to the same bytes every time', () => {
    const init: InferResponse = {
      outputs: [
        { dtype: 'int32', shape: [2], data: new Int32Array([1, -1]) },
        { dtype: 'string', shape: [], data: ['z'] },
      ],
      errors: [{ code: 3, message: 'bad' }],
    };
    expect(encodeInferResponse(init)).toEqual(encodeInferResponse(init));
  });
});
