// Hostile input: the decoders must either decode or throw GraphPipeError('INVALID_MESSAGE'),
// never a RangeError/TypeError, never an allocation sized by an unchecked claim.
import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import {
  decodeInferResponse,
  decodeMetadataResponse,
  decodeRequest,
  decodeTensor,
  elementCount,
  elementSize,
  encodeInferRequest,
  encodeInferResponse,
  encodeMetadataResponse,
  encodeTensor,
  type DecodeLimits,
  type InferRequest,
  type Tensor,
} from '@graphpipe/protocol';
import { seededRandom } from '@graphpipe/test-utils';
import { InferRequest as GenInferRequest, Request as GenRequest, Type } from '../src/gen/graphpipe.js';
import {
  craftInferResponse,
  craftMetadataResponse,
  craftRequest,
  craftTensorRoot,
  dataView,
  expectInvalid,
  normalize,
  outcome,
  placeAt,
  requestTensorLayout,
  utf8,
  vector,
  dataOf,
} from './helpers.js';

type Decoder = (bytes: Uint8Array, limits?: Partial<DecodeLimits>) => unknown;

const REQUEST = encodeInferRequest({
  config: 'cfg',
  inputNames: ['a', 'b', 'c'],
  outputNames: ['o'],
  inputs: [
    { dtype: 'float32', shape: [2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) },
    { dtype: 'string', shape: [2], data: ['foo', new Uint8Array([0xff])] },
    { dtype: 'float64', shape: [3], data: new Float64Array([1.5, -2, 3]) },
  ],
});
const RESPONSE = encodeInferResponse({
  outputs: [
    { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, -2n]) },
    { dtype: 'string', shape: [1], data: ['x'] },
    { dtype: 'uint16', shape: [2, 2], data: new Uint16Array([1, 2, 3, 4]) },
  ],
  errors: [{ code: 7, message: 'model failed' }],
});
const METADATA = encodeMetadataResponse({
  name: 'm',
  version: '1',
  server: 's',
  description: 'd',
  inputs: [{ name: 'in', description: 'x', shape: [-1, 3], dtype: 'float32' }],
  outputs: [{ name: 'out', shape: [4] }],
});
const TENSOR = encodeTensor({ dtype: 'int32', shape: [2, 2], data: new Int32Array([1, -1, 2, -2]) });

/** Valid messages and the decoder for each: our encodings and the original implementations'. */
const MESSAGES: [string, Uint8Array, Decoder][] = [
  ['our request', REQUEST, decodeRequest],
  ['our response', RESPONSE, decodeInferResponse],
  ['our metadata', METADATA, decodeMetadataResponse],
  ['our tensor', TENSOR, decodeTensor],
  ['py_inferreq.bin', vector('py_inferreq.bin'), decodeRequest],
  ['sample_request_named.bin', vector('sample_request_named.bin'), decodeRequest],
  ['py_inferresp.bin', vector('py_inferresp.bin'), decodeInferResponse],
  ['go_echo_string_response.bin', vector('go_echo_string_response.bin'), decodeInferResponse],
  ['py_metadataresp.bin', vector('py_metadataresp.bin'), decodeMetadataResponse],
  ['go_echo_metadata_response.bin', vector('go_echo_metadata_response.bin'), decodeMetadataResponse],
  ['py_floats.bin', vector('py_floats.bin'), decodeTensor],
  ['py_strings.bin', vector('py_strings.bin'), decodeTensor],
];

const DECODERS: [string, Decoder][] = [
  ['decodeRequest', decodeRequest],
  ['decodeInferResponse', decodeInferResponse],
  ['decodeMetadataResponse', decodeMetadataResponse],
  ['decodeTensor', decodeTensor],
];

/** What a successful decode must satisfy whatever the bytes were. */
function expectSaneTensor(t: Tensor) {
  for (const d of t.shape) expect(Number.isSafeInteger(d) && d >= 0).toBe(true);
  const n = elementCount(t.shape);
  expect(t.data.length).toBe(n);
  if (t.dtype !== 'string') expect(t.data.byteLength).toBe(n * elementSize(t.dtype));
}

function expectSane(value: unknown) {
  const v = value as { inputs?: Tensor[]; outputs?: Tensor[]; dtype?: string; kind?: string };
  if (v.kind === 'infer' || (Array.isArray(v.outputs) && 'errors' in (v as object))) {
    for (const t of (v.inputs ?? v.outputs)!) expectSaneTensor(t);
  } else if (typeof v.dtype === 'string' && 'data' in (v as object)) {
    expectSaneTensor(v as Tensor);
  }
}

const copy = (b: Uint8Array) => b.slice();

describe('truncated buffers', () => {
  it.each(MESSAGES)(
    '%s: every prefix is rejected or (if the cut bytes were unused) decodes to the same message',
    (_, bytes, decode) => {
      const full = normalize(decode(bytes));
      let rejected = 0;
      for (let n = 0; n < bytes.length; n++) {
        const result = outcome(() => decode(bytes.slice(0, n)));
        if (result.ok) expect(normalize(result.value)).toEqual(full);
        else rejected++;
      }
      // Nearly every prefix cuts into something the message needs.
      expect(rejected).toBeGreaterThanOrEqual(bytes.length - 8);
    },
  );

  it('our messages end with a payload, so every proper prefix is rejected', () => {
    for (const [bytes, decode] of [
      [REQUEST, decodeRequest],
      [RESPONSE, decodeInferResponse],
      [TENSOR, decodeTensor],
    ] as const) {
      for (let n = 0; n < bytes.length; n++) expectInvalid(() => decode(bytes.slice(0, n)));
    }
  });

  it.each(DECODERS)('%s: an empty buffer and every buffer shorter than 8 bytes is INVALID_MESSAGE', (_, decode) => {
    for (let n = 0; n < 8; n++) expectInvalid(() => decode(new Uint8Array(n)));
    expectInvalid(() => decode(new Uint8Array(0)), /too short/);
  });
});

describe('random bit flips (seeded)', () => {
  it('3000 mutated messages: each decodes sanely or throws INVALID_MESSAGE', () => {
    const random = seededRandom(0x9e3779b9);
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const [, original, decode] = MESSAGES[i % MESSAGES.length]!;
      const bytes = copy(original);
      const flips = 1 + Math.floor(random() * 3);
      for (let f = 0; f < flips; f++) {
        const bit = Math.floor(random() * bytes.length * 8);
        bytes[bit >> 3]! ^= 1 << (bit & 7);
      }
      const result = outcome(() => decode(bytes));
      if (result.ok) {
        ok++;
        expectSane(result.value);
      } else {
        rejected++;
      }
    }
    // Both outcomes happen: flips in payload bytes are harmless, flips in offsets are not.
    expect(ok).toBeGreaterThan(300);
    expect(rejected).toBeGreaterThan(300);
  });

  it('random garbage of every length up to 256 never escapes as anything but INVALID_MESSAGE', () => {
    const random = seededRandom(42);
    for (let n = 0; n <= 256; n++) {
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
      for (const [, decode] of DECODERS) outcome(() => decode(bytes));
    }
  });

  it('random garbage with a plausible root offset also stays INVALID_MESSAGE or sane', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 500; i++) {
      const n = 16 + Math.floor(random() * 200);
      const bytes = Uint8Array.from({ length: n }, () => (random() < 0.6 ? 0 : Math.floor(random() * 256)));
      dataView(bytes).setUint32(0, 4 + 4 * Math.floor(random() * ((n - 8) / 4)), true);
      for (const [, decode] of DECODERS) {
        const result = outcome(() => decode(bytes));
        if (result.ok) expectSane(result.value);
      }
    }
  });
});

describe('lying lengths and offsets', () => {
  const request = () => copy(REQUEST);
  const decodeOk = () => decodeRequest(REQUEST) as InferRequest;

  it('the unpatched base message decodes', () => {
    expect(decodeOk().inputs.map((t) => t.shape)).toEqual([[2, 3], [2], [3]]);
  });

  it('a data vector claiming more or fewer bytes than the shape needs', () => {
    const L = requestTensorLayout(REQUEST, 0);
    for (const len of [23, 25, 0, 0x7fffffff, 0xffffffff]) {
      const bytes = request();
      dataView(bytes).setUint32(L.dataLen, len, true);
      expectInvalid(() => decodeRequest(bytes), /Tensor\.data/);
    }
  });

  it('a shape vector claiming a huge length', () => {
    const L = requestTensorLayout(REQUEST, 0);
    for (const len of [0xffffffff, 0x20000000, REQUEST.length]) {
      const bytes = request();
      dataView(bytes).setUint32(L.shapeLen, len, true);
      expectInvalid(() => decodeRequest(bytes), /Tensor\.shape/);
    }
  });

  it("a string_val vector claiming a huge length, or a count other than the shape's", () => {
    const L = requestTensorLayout(REQUEST, 1);
    for (const len of [0xffffffff, 0x40000000]) {
      const bytes = request();
      dataView(bytes).setUint32(L.stringValLen, len, true);
      expectInvalid(() => decodeRequest(bytes), /string_val/);
    }
    const bytes = request();
    dataView(bytes).setUint32(L.stringValLen, 1, true);
    expectInvalid(() => decodeRequest(bytes), /string_val has 1 strings but the shape needs 2/);
  });

  it('an input_tensors vector claiming a huge length', () => {
    const ir = GenRequest.getRootAsRequest(new flatbuffers.ByteBuffer(REQUEST)).req(
      new GenInferRequest(),
    ) as GenInferRequest;
    const buf = ir.bb!;
    const lenAt = buf.__vector(ir.bb_pos + buf.__offset(ir.bb_pos, 8)) - 4;
    for (const len of [0xffffffff, 1000, 4]) {
      const bytes = request();
      dataView(bytes).setUint32(lenAt, len, true);
      expectInvalid(() => decodeRequest(bytes));
    }
  });

  it('a root offset past the end', () => {
    for (const root of [REQUEST.length, REQUEST.length - 2, 0xffffffff, 0x80000000]) {
      const bytes = request();
      dataView(bytes).setUint32(0, root, true);
      expectInvalid(() => decodeRequest(bytes), /outside/);
    }
  });

  it('field uoffsets pointing past the end', () => {
    const L = requestTensorLayout(REQUEST, 0);
    for (const field of [L.dataField, L.shapeField]) {
      for (const off of [0xfffffff0, REQUEST.length]) {
        const bytes = request();
        dataView(bytes).setUint32(field, off, true);
        expectInvalid(() => decodeRequest(bytes), /past the end/);
      }
    }
  });

  it('vtables out of range or malformed', () => {
    const root = dataView(REQUEST).getUint32(0, true);
    const vtable = root - dataView(REQUEST).getInt32(root, true);
    // soffsets that put the vtable before the start or past the end of the buffer.
    for (const soffset of [root + 4, root + 1000, -REQUEST.length, 0x7fffffff, -0x80000000]) {
      const bytes = request();
      dataView(bytes).setInt32(root, soffset, true);
      expectInvalid(() => decodeRequest(bytes), /vtable/);
    }
    // A vtable claiming too many bytes, an odd size, or fewer than its own header.
    for (const size of [0xfffe, 3, 2, 0]) {
      const bytes = request();
      dataView(bytes).setUint16(vtable, size, true);
      expectInvalid(() => decodeRequest(bytes), /vtable/);
    }
    // A table claiming to run past the end, or to be smaller than its soffset.
    for (const inline of [0xffff, 0, 3]) {
      const bytes = request();
      dataView(bytes).setUint16(vtable + 2, inline, true);
      expectInvalid(() => decodeRequest(bytes), /table/);
    }
  });

  it('a vtable entry placing a field outside its table', () => {
    const L = requestTensorLayout(REQUEST, 0);
    for (const entry of [0xfff0, 2, 1]) {
      const bytes = request();
      dataView(bytes).setUint16(L.vtable + 4 + 2 * 2, entry, true); // field id 2: data
      expectInvalid(() => decodeRequest(bytes), /outside its table/);
    }
  });

  it('vector offsets inside a vector of tables pointing past the end', () => {
    const slots = copy(RESPONSE);
    const root = dataView(slots).getUint32(0, true);
    const vt = root - dataView(slots).getInt32(root, true);
    const outputsField = root + dataView(slots).getUint16(vt + 4, true);
    const vec = outputsField + dataView(slots).getUint32(outputsField, true);
    dataView(slots).setUint32(vec + 4, 0xffffff00, true); // first element's uoffset
    expectInvalid(() => decodeInferResponse(slots), /past the end/);
  });
});

describe('invalid tensor contents', () => {
  it.each([0, 13, 14, 100, 255])('unknown dtype number %i is INVALID_MESSAGE', (wire) => {
    const L = requestTensorLayout(REQUEST, 0);
    const bytes = copy(REQUEST);
    bytes[L.type] = wire;
    expectInvalid(() => decodeRequest(bytes), new RegExp(`Tensor\\.type ${wire} is not a GraphPipe type`));
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: wire, shape: [1], data: new Uint8Array(1) })),
      /Tensor\.type/,
    );
  });

  it('a tensor without a type field (Null) is INVALID_MESSAGE', () => {
    expectInvalid(() => decodeRequest(craftRequest([{ shape: [1], data: new Uint8Array(1) }])), /Tensor\.type 0/);
  });

  it('negative dimensions are INVALID_MESSAGE', () => {
    const L = requestTensorLayout(REQUEST, 0);
    for (const d of [-1n, -(2n ** 53n) + 1n]) {
      const bytes = copy(REQUEST);
      dataView(bytes).setBigInt64(L.shapeLen + 4, d, true);
      expectInvalid(() => decodeRequest(bytes), /negative dimension/);
    }
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: Type.Uint8, shape: [-1, -1], data: new Uint8Array(1) })),
      /negative/,
    );
  });

  it('a shape product over the default limit is INVALID_MESSAGE', () => {
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: Type.Float32, shape: [65536, 65536] })),
      /exceeds the limit of 2147483647/,
    );
    // A huge early product does not hide behind a later zero.
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: Type.Float32, shape: [1e6, 1e6, 0] })),
      /exceeds the limit/,
    );
    // 2^31 - 1 elements is at the limit: rejected for its (missing) data, not its shape.
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: Type.Uint8, shape: [2 ** 31 - 1] })),
      /Tensor\.data has 0 bytes/,
    );
  });

  it('custom limits: maxElements, maxRank and maxTensors', () => {
    // REQUEST: 3 tensors, largest 6 elements, highest rank 2.
    expect(outcome(() => decodeRequest(REQUEST, { maxElements: 6, maxRank: 2, maxTensors: 3 })).ok).toBe(true);
    expectInvalid(() => decodeRequest(REQUEST, { maxElements: 5 }), /exceeds the limit of 5 elements/);
    expectInvalid(() => decodeRequest(REQUEST, { maxRank: 1 }), /over the limit of 1/);
    expectInvalid(() => decodeRequest(REQUEST, { maxTensors: 2 }), /3 tensors exceed the limit of 2/);
    expectInvalid(() => decodeInferResponse(RESPONSE, { maxTensors: 2 }), /exceed the limit of 2/);
    expectInvalid(() => decodeInferResponse(RESPONSE, { maxElements: 3 }), /limit of 3 elements/);
    expectInvalid(() => decodeTensor(TENSOR, { maxElements: 3 }), /limit of 3 elements/);
    expectInvalid(() => decodeTensor(TENSOR, { maxRank: 0 }), /over the limit of 0/);
    expect(outcome(() => decodeTensor(TENSOR, { maxElements: 4, maxRank: 2 })).ok).toBe(true);
  });

  it('data length other than product × element size is INVALID_MESSAGE', () => {
    const L = requestTensorLayout(REQUEST, 0);
    const bytes = copy(REQUEST);
    dataView(bytes).setBigInt64(L.shapeLen + 4 + 8, 4n, true); // [2,3] -> [2,4]
    expectInvalid(
      () => decodeRequest(bytes),
      /Tensor\.data has 24 bytes but a float32 tensor of shape \[2, 4\] needs 32/,
    );
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: Type.Float64, shape: [3], data: new Uint8Array(20) })),
      /needs 24/,
    );
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: Type.Float16, shape: [], data: new Uint8Array(1) })),
      /needs 2/,
    );
    // A String tensor's data is ignored, but its numeric twin needs data.
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: Type.Int8, shape: [2], strings: ['a', 'b'] })),
      /Tensor\.data/,
    );
  });

  it('string count other than the shape product is INVALID_MESSAGE', () => {
    const L = requestTensorLayout(REQUEST, 1);
    const bytes = copy(REQUEST);
    dataView(bytes).setBigInt64(L.shapeLen + 4, 3n, true); // [2] -> [3]
    expectInvalid(() => decodeRequest(bytes), /string_val has 2 strings but the shape needs 3/);
    expectInvalid(() => decodeTensor(craftTensorRoot({ type: Type.String, shape: [], strings: [] })), /needs 1/);
    expectInvalid(
      () => decodeTensor(craftTensorRoot({ type: Type.String, shape: [1], data: new Uint8Array(1) })),
      /needs 1/,
    );
  });

  it('64-bit values beyond 2^53 are rejected, not rounded', () => {
    for (const d of [2n ** 53n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)]) {
      expectInvalid(
        () => decodeMetadataResponse(craftMetadataResponse([{ shape: [d], type: Type.Int64 }])),
        /out of range/,
      );
      expectInvalid(
        () => decodeInferResponse(craftInferResponse([], [{ code: d, message: 'x' }])),
        /Error\.code: 64-bit value is out of range/,
      );
      expectInvalid(() => decodeTensor(craftTensorRoot({ type: Type.Uint8, shape: [d] })), /out of range/);
    }
    // The largest safe magnitudes come through exactly.
    const m = decodeMetadataResponse(
      craftMetadataResponse([{ shape: [2n ** 53n - 1n, -(2n ** 53n) + 1n, -1n], type: Type.Null }]),
    );
    expect(m.inputs[0]!.shape).toEqual([Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, -1]);
    expect(m.inputs[0]!.dtype).toBeUndefined();
    const r = decodeInferResponse(craftInferResponse([], [{ code: -(2n ** 53n) + 1n, message: 'x' }]));
    expect(r.errors).toEqual([{ code: Number.MIN_SAFE_INTEGER, message: 'x' }]);
  });

  it('a metadata type number outside the enum decodes as an undefined dtype (metadata only describes)', () => {
    const m = decodeMetadataResponse(craftMetadataResponse([{ shape: [1n], type: 200 }]));
    expect(m.inputs[0]).toEqual({ name: 'io0', description: '', shape: [1], dtype: undefined });
  });
});

describe('no allocation from unchecked claims', () => {
  const time = (f: () => void) => {
    const start = performance.now();
    f();
    return performance.now() - start;
  };

  it('a huge shape with no data is rejected at once, without allocating the claimed size', () => {
    const before = process.memoryUsage().arrayBuffers;
    const lifted = { maxElements: Number.MAX_SAFE_INTEGER };
    const cases: [Uint8Array, Decoder, Partial<DecodeLimits> | undefined][] = [
      [craftTensorRoot({ type: Type.Float64, shape: [2 ** 31 - 1] }), decodeTensor, undefined],
      [craftTensorRoot({ type: Type.Float64, shape: [2 ** 31 - 1], data: new Uint8Array(8) }), decodeTensor, undefined],
      [craftTensorRoot({ type: Type.String, shape: [2 ** 31 - 1] }), decodeTensor, undefined],
      [craftRequest([{ type: Type.Int8, shape: [2 ** 31 - 1] }]), decodeRequest, undefined],
      [craftInferResponse([{ type: Type.Float32, shape: [2 ** 16, 2 ** 15 - 1] }]), decodeInferResponse, undefined],
      // Even with the element limit lifted, data/strings must be present before anything is sized by the shape.
      [craftTensorRoot({ type: Type.Uint64, shape: [2 ** 50] }), decodeTensor, lifted],
      [craftTensorRoot({ type: Type.String, shape: [2 ** 50] }), decodeTensor, lifted],
    ];
    for (const [bytes, decode, limits] of cases) {
      const elapsed = time(() => expectInvalid(() => decode(bytes, limits)));
      expect(elapsed).toBeLessThan(200);
    }
    // Nothing close to the claimed gigabytes was allocated along the way.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a vector length past the end is rejected before anything is sized by it', () => {
    const bytes = copy(METADATA);
    const root = dataView(bytes).getUint32(0, true);
    const vt = root - dataView(bytes).getInt32(root, true);
    const inputsField = root + dataView(bytes).getUint16(vt + 4 + 2 * 4, true);
    const vec = inputsField + dataView(bytes).getUint32(inputsField, true);
    dataView(bytes).setUint32(vec, 0xffffffff, true);
    expectInvalid(() => decodeMetadataResponse(bytes), /claims 4294967295 elements/);
  });
});

describe('amplification through shared offsets', () => {
  // FlatBuffers lets many offsets point at the same object. A decoder that materialises each
  // reference separately turns a small message into an unbounded amount of output (a 140 kB
  // request naming one 100 kB string 10,000 times decodes to 1 GB of JS strings). Output must stay
  // bounded by the input: reject such messages (or otherwise bound the work) with INVALID_MESSAGE.
  // FlatReader charges each vector read (4 + length × width) against a budget of the message's
  // size, which honest messages (no shared offsets) never exhaust.

  /** Total bytes/characters a decoded request materialised, excluding views over its own buffer. */
  function materialised(r: InferRequest, input: Uint8Array): number {
    let n = r.config.length;
    for (const s of [...r.inputNames, ...r.outputNames]) n += s.length;
    for (const t of r.inputs) {
      if (t.dtype === 'string')
        n += 4 * t.data.length; // one object per element, at least a slot's worth
      else if (dataOf(t).buffer !== input.buffer) n += t.data.byteLength; // a copy
    }
    return n;
  }

  it('input_names: 1000 offsets to one 10 kB string', () => {
    const b = new flatbuffers.Builder(16 * 1024);
    const s = b.createString('x'.repeat(10_000));
    const names = GenInferRequest.createInputNamesVector(b, new Array(1000).fill(s));
    GenInferRequest.startInferRequest(b);
    GenInferRequest.addInputNames(b, names);
    const ir = GenInferRequest.endInferRequest(b);
    b.finish(GenRequest.createRequest(b, 1, ir));
    const bytes = b.asUint8Array().slice();
    expect(bytes.length).toBeLessThan(16_000);
    const result = outcome(() => decodeRequest(bytes));
    if (result.ok) expect(materialised(result.value as InferRequest, bytes)).toBeLessThanOrEqual(bytes.length);
  });

  it('input_tensors: 1000 offsets to one tensor with a misaligned 8 kB Float64 payload (copied each time)', () => {
    const b = new flatbuffers.Builder(16 * 1024);
    const data = craftDataVector(b, new Uint8Array(8192));
    const tensor = craftTensorAt(b, data);
    const list = GenInferRequest.createInputTensorsVector(b, new Array(1000).fill(tensor));
    GenInferRequest.startInferRequest(b);
    GenInferRequest.addInputTensors(b, list);
    const ir = GenInferRequest.endInferRequest(b);
    b.finish(GenRequest.createRequest(b, 1, ir));
    let bytes: Uint8Array = b.asUint8Array().slice();
    // Make sure the payload is misaligned, so each reference is a fresh 8 kB copy.
    const gen = GenRequest.getRootAsRequest(new flatbuffers.ByteBuffer(bytes)).req(
      new GenInferRequest(),
    ) as GenInferRequest;
    const payloadAt = gen.inputTensors(0)!.dataArray()!.byteOffset;
    if (payloadAt % 8 === 0) bytes = placeAt(bytes, 4);
    expect((bytes.byteOffset + payloadAt) % 8).toBe(4);
    expect(bytes.length).toBeLessThan(16_000);
    const result = outcome(() => decodeRequest(bytes));
    if (result.ok) expect(materialised(result.value as InferRequest, bytes)).toBeLessThanOrEqual(bytes.length);
  });

  function craftDataVector(b: flatbuffers.Builder, payload: Uint8Array): flatbuffers.Offset {
    b.startVector(1, payload.length, 1);
    for (let i = payload.length - 1; i >= 0; i--) b.addInt8(payload[i]!);
    return b.endVector();
  }

  function craftTensorAt(b: flatbuffers.Builder, data: flatbuffers.Offset): flatbuffers.Offset {
    b.startVector(8, 1, 8);
    b.addInt64(1024n);
    const shapeVec = b.endVector();
    b.startObject(4);
    b.addFieldInt8(0, Type.Float64, 0);
    b.addFieldOffset(1, shapeVec, 0);
    b.addFieldOffset(2, data, 0);
    return b.endObject();
  }
});

describe('errors are GraphPipeErrors', () => {
  it("the decoders' errors carry code INVALID_MESSAGE, status 400 and a message naming the field", () => {
    const e = expectInvalid(() => decodeTensor(craftTensorRoot({ type: 99 })));
    expect(e.name).toBe('GraphPipeError');
    expect(e.message).toContain('Tensor.type 99');
    expect(utf8(e.message).length).toBeGreaterThan(10);
  });
});
