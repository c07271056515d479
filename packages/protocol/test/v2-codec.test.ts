// The Open Inference Protocol codec: requests and responses round-trip every dtype as JSON and as
// binary tensor data; binary inputs are views of the body; every size, shape and header mismatch
// is a GraphPipeError with one line.
import fc from 'fast-check';
import {
  ALL_DTYPES,
  type DType,
  elementCount,
  isGraphPipeError,
  type Tensor,
  tensor,
  typedArrayFor,
} from '@graphpipe/protocol';
import {
  binaryOffsetOf,
  datatypeOf,
  decodeV2RawInput,
  decodeV2Request,
  decodeV2Response,
  encodeV2Request,
  encodeV2Response,
  tensorSpecsFromV2,
  type V2Body,
  type V2InferRequest,
  v2ModelMetadata,
} from '@graphpipe/protocol/v2';
import { describe, expect, it } from 'vitest';
import { concat } from './helpers.js';

const utf8 = new TextEncoder();
const json = (value: unknown) => utf8.encode(JSON.stringify(value));

/** The body as one buffer and its header, as a server receives them. */
function received(body: V2Body): [Uint8Array, string | undefined] {
  return [concat(body.chunks), body.headerLength === undefined ? undefined : String(body.headerLength)];
}

/** A JSON header, then binary parts: a hand-built binary request. */
function binaryRequest(header: unknown, ...parts: Uint8Array[]): [Uint8Array, string] {
  const head = json(header);
  return [concat([head, ...parts]), String(head.length)];
}

function decodeInfer(body: Uint8Array, header?: string): V2InferRequest {
  const req = decodeV2Request(body, header);
  if (req.kind !== 'infer') throw new Error('expected an infer request');
  return req;
}

/** The elements of a tensor, comparable: numbers, bigints, or strings' bytes as arrays. */
function elements(t: Tensor): unknown[] {
  if (t.dtype === 'string') return t.data.map((s) => Array.from(typeof s === 'string' ? utf8.encode(s) : s));
  return Array.from(t.data as ArrayLike<number | bigint>);
}

function expectSame(actual: Tensor, expected: Tensor): void {
  expect(actual.dtype).toBe(expected.dtype);
  expect([...actual.shape]).toEqual([...expected.shape]);
  expect(elements(actual)).toEqual(elements(expected));
}

const shapeArb = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 });

/** Values every datatype can carry in JSON and binary alike (strings: UTF-8 text, and raw bytes for binary). */
function tensorArb(dtype: DType, textOnly: boolean): fc.Arbitrary<Tensor> {
  return shapeArb.chain((shape) => {
    const n = elementCount(shape);
    const fixed = { minLength: n, maxLength: n };
    const make = (data: Tensor['data']) => ({ dtype, shape, data }) as Tensor;
    switch (dtype) {
      case 'string':
        return fc
          .array<string | Uint8Array>(
            textOnly ? fc.string({ unit: 'grapheme', maxLength: 5 }) : fc.uint8Array({ maxLength: 5 }),
            fixed,
          )
          .map(make);
      case 'bool':
        return fc.array(fc.integer({ min: 0, max: 1 }), fixed).map((v) => make(Uint8Array.from(v)));
      case 'float32':
        return fc.array(fc.float({ noNaN: true }), fixed).map((v) => make(Float32Array.from(v)));
      case 'float64':
        return fc.array(fc.double({ noNaN: true }), fixed).map((v) => make(Float64Array.from(v)));
      case 'float16':
        return fc.array(fc.integer({ min: 0, max: 0xffff }), fixed).map((v) => make(Uint16Array.from(v)));
      case 'int64':
        return fc
          .array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fixed)
          .map((v) => make(BigInt64Array.from(v)));
      case 'uint64':
        return fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fixed).map((v) => make(BigUint64Array.from(v)));
      default: {
        const ArrayType = typedArrayFor(dtype as 'int32') as unknown as { from(v: number[]): Int32Array };
        // Typed arrays wrap what they are given, so every value lands in the dtype's range.
        return fc.array(fc.integer(), fixed).map((v) => make(ArrayType.from(v)));
      }
    }
  });
}

describe('requests round-trip every dtype', () => {
  for (const binaryInputs of [true, false]) {
    it.each(ALL_DTYPES)(`%s, ${binaryInputs ? 'binary' : 'JSON'}`, (dtype) => {
      fc.assert(
        fc.property(tensorArb(dtype, !binaryInputs), fc.boolean(), (t, asked) => {
          const body = encodeV2Request({
            id: 'r1',
            inputs: [{ name: 'x', tensor: t }],
            outputs: [{ name: 'y', binary: asked }],
            binaryInputs,
          });
          const req = decodeInfer(...received(body));
          expect(req.id).toBe('r1');
          expect(req.inputs.map((i) => i.name)).toEqual(['x']);
          expectSame(req.inputs[0]!.tensor, t);
          expect(req.outputs).toEqual([{ name: 'y', binary: asked }]);
          // FP16 has no JSON form, so it goes as binary data whatever was asked.
          expect(body.headerLength !== undefined).toBe(binaryInputs || dtype === 'float16');
        }),
        { numRuns: 60 },
      );
    });
  }
});

describe('responses round-trip every dtype', () => {
  for (const binary of [true, false]) {
    it.each(ALL_DTYPES)(`%s, ${binary ? 'binary' : 'JSON'}`, (dtype) => {
      fc.assert(
        fc.property(tensorArb(dtype, !binary), (t) => {
          const body = encodeV2Response({
            modelName: 'm',
            modelVersion: '2',
            id: 'q',
            outputs: [{ name: 'y', tensor: t, binary }],
          });
          const res = decodeV2Response(...received(body));
          expect(res).toMatchObject({ modelName: 'm', modelVersion: '2', id: 'q' });
          expectSame(res.outputs[0]!.tensor, t);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('BYTES that are not UTF-8 go as binary data even when JSON was asked', () => {
    const t = tensor([new Uint8Array([0xff, 0x00]), 'ok']);
    const body = encodeV2Response({ modelName: 'm', outputs: [{ name: 'y', tensor: t, binary: false }] });
    expect(body.headerLength).toBeDefined();
    expectSame(decodeV2Response(...received(body)).outputs[0]!.tensor, t);
  });

  it("binary outputs are the tensors' own memory, not copies", () => {
    const data = new Float32Array([1, 2, 3]);
    const body = encodeV2Response({ modelName: 'm', outputs: [{ name: 'y', tensor: tensor(data), binary: true }] });
    expect(body.chunks).toHaveLength(2);
    expect(body.chunks[1]!.buffer).toBe(data.buffer);
  });
});

describe('JSON requests', () => {
  it('takes nested or flat data, in any key order', () => {
    const nested = decodeInfer(
      json({
        inputs: [
          {
            data: [
              [5.1, 3.5, 1.4, 0.2],
              [6.7, 3, 5.2, 2.3],
            ],
            name: 'features',
            shape: [2, 4],
            datatype: 'FP32',
          },
          { name: 'flags', datatype: 'BOOL', shape: [2, 1], data: [true, false] },
        ],
      }),
    );
    expect(nested.inputs[0]!.tensor).toEqual(tensor(new Float32Array([5.1, 3.5, 1.4, 0.2, 6.7, 3, 5.2, 2.3]), [2, 4]));
    expect(nested.inputs[1]!.tensor).toEqual(tensor(new Uint8Array([1, 0]), [2, 1], 'bool'));
  });

  it('reads JSON written with whitespace anywhere JSON allows it', () => {
    const request = {
      id: 'a b',
      parameters: { binary_data_output: false },
      inputs: [
        {
          name: 'x',
          shape: [2, 2],
          datatype: 'INT32',
          data: [
            [1, -2],
            [3, 4],
          ],
        },
        { name: 'f', shape: [3], datatype: 'FP32', data: [0.5, -1, 2e3] },
        { name: 's', shape: [1], datatype: 'BYTES', data: ['a b'] },
        { name: 'b', shape: [2], datatype: 'BOOL', data: [true, false] },
        { name: 'w', shape: [1], datatype: 'INT64', data: [9007199254740993n] },
      ],
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    };
    const text = JSON.stringify(request, (_k, v) => (typeof v === 'bigint' ? '@big' : v), '\t ').replace(
      '"@big"',
      '9007199254740993',
    );
    const req = decodeInfer(utf8.encode(` \n${text.replaceAll(',', ' ,\r\n ').replaceAll(':', ' : ')}\n `));
    expect(req.inputs.map((i) => Array.from(i.tensor.data as ArrayLike<unknown>))).toEqual([
      [1, -2, 3, 4],
      [0.5, -1, 2000],
      ['a b'],
      [1, 0],
      [9007199254740993n],
    ]);
    expect(req.inputs.map((i) => i.tensor.shape)).toEqual([[2, 2], [3], [1], [2], [1]]);
    expect(req).toMatchObject({ id: 'a b', outputs: [{ name: 'y', binary: true }] });
  });

  it('reads 64-bit integers exactly, beyond 2^53', () => {
    const doc =
      '{"inputs":[{"name":"i","datatype":"INT64","shape":[3],"data":[9007199254740993,-9223372036854775808,1.0]}]}';
    const req = decodeInfer(utf8.encode(doc));
    expect(Array.from(req.inputs[0]!.tensor.data as BigInt64Array)).toEqual([2n ** 53n + 1n, -(2n ** 63n), 1n]);
  });

  it('keeps the id, the parameters and binary_data_output', () => {
    const req = decodeInfer(
      json({ id: '42', parameters: { binary_data_output: true, custom: [1] }, inputs: [], outputs: [{ name: 'y' }] }),
    );
    expect(req).toMatchObject({ id: '42', binaryOutput: true, outputs: [{ name: 'y', binary: undefined }] });
    expect(JSON.parse(JSON.stringify(req.parameters))).toEqual({ binary_data_output: true, custom: [1] });
  });
});

describe('binary requests', () => {
  it('hands out views of the body when aligned, copies when not', () => {
    const values = new Float32Array([1.5, -2, 3.25, 4]);
    const [body, header] = binaryRequest(
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [4], parameters: { binary_data_size: 16 } }] },
      new Uint8Array(values.buffer),
    );
    // Place the body so its binary part is aligned, then so it is not.
    for (const pad of [0, 1, 2, 3]) {
      const buffer = new ArrayBuffer(body.length + 8);
      const shift = (8 - ((Number(header) + pad) % 4)) % 4;
      const at = new Uint8Array(buffer, shift + pad, body.length);
      at.set(body);
      const t = decodeInfer(at, header).inputs[0]!.tensor;
      expect(Array.from(t.data as Float32Array)).toEqual(Array.from(values));
      const aligned = (at.byteOffset + Number(header)) % 4 === 0;
      expect((t.data as Float32Array).buffer === buffer).toBe(aligned);
    }
  });

  it('reads BYTES elements, empty and non-ASCII ones included', () => {
    const words = ['', 'héllo', '日本', 'x'];
    const parts = words.map((w) => utf8.encode(w));
    const payload = concat(parts.flatMap((p) => [new Uint8Array(new Uint32Array([p.length]).buffer), p]));
    const [body, header] = binaryRequest(
      { inputs: [{ name: 's', datatype: 'BYTES', shape: [4], parameters: { binary_data_size: payload.length } }] },
      payload,
    );
    const t = decodeInfer(body, header).inputs[0]!.tensor;
    expect((t.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(words);
  });
});

/** What a request must be refused with: a 400 code and a one-line message matching `message`. */
function expectRefused(run: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (err) {
    error = err;
  }
  expect(isGraphPipeError(error), `expected a GraphPipeError, got ${String(error)}`).toBe(true);
  const e = error as { code: string; status: number; message: string };
  expect(e.status).toBe(400);
  expect(['INVALID_ARGUMENT', 'INVALID_MESSAGE']).toContain(e.code);
  expect(e.message).toMatch(message);
  expect(e.message).not.toContain('\n');
}

const f32 = (n: number) => new Uint8Array(new Float32Array(n).buffer);
const input = (parameters: object, extra: object = {}) => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [2], parameters, ...extra }],
});

describe('mismatches are refused with one line', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'binary_data_size other than shape × element size',
      () => decodeV2Request(...binaryRequest(input({ binary_data_size: 12 }), f32(3))),
      /binary_data_size is 12 but a FP32 tensor of shape \[2\] has 8 bytes/,
    ],
    [
      'binary_data_size past the end of the body',
      () => decodeV2Request(...binaryRequest(input({ binary_data_size: 8 }), f32(1))),
      /runs past the end of the body \(4 bytes left\)/,
    ],
    [
      'bytes left over after the binary data',
      () => decodeV2Request(...binaryRequest(input({ binary_data_size: 8 }), f32(3))),
      /4 bytes follow the binary data the tensors declare/,
    ],
    [
      'a header length past the body',
      () => decodeV2Request(json(input({}, { data: [1, 2] })), '1000'),
      /Inference-Header-Content-Length of 1000 is past the end of the \d+-byte body/,
    ],
    [
      'a header length that is not a number',
      () => decodeV2Request(json(input({}, { data: [1, 2] })), '12abc'),
      /must be a whole number of bytes, got "12abc"/,
    ],
    [
      'a negative header length',
      () => decodeV2Request(json(input({}, { data: [1, 2] })), '-1'),
      /must be a whole number of bytes/,
    ],
    [
      'binary data without the header',
      () => decodeV2Request(concat([json(input({ binary_data_size: 8 })), f32(2)]), undefined),
      /binary tensor data needs an Inference-Header-Content-Length header/,
    ],
    [
      'binary_data_size without the header',
      () => decodeV2Request(json(input({ binary_data_size: 0 }, { shape: [0] })), undefined),
      /has binary_data_size but the message has no Inference-Header-Content-Length/,
    ],
    [
      'a header length that cuts the JSON short',
      () =>
        decodeV2Request(
          ...(([b, h]) => [b, String(Number(h) - 2)] as const)(binaryRequest(input({ binary_data_size: 8 }), f32(2))),
        ),
      /request JSON: .* at byte/,
    ],
    [
      'data and binary_data_size both',
      () => decodeV2Request(json(input({ binary_data_size: 8 }, { data: [1, 2] })), undefined),
      /has both data and parameters.binary_data_size/,
    ],
    ['neither data nor binary_data_size', () => decodeV2Request(json(input({})), undefined), /has neither data nor/],
    [
      'fewer elements than the shape',
      () => decodeV2Request(json(input({}, { data: [1] })), undefined),
      /data has 1 elements but shape \[2\] needs 2/,
    ],
    [
      'more elements than the shape',
      () => decodeV2Request(json(input({}, { data: [[1, 2], [3]] })), undefined),
      /more than the 2 elements/,
    ],
    [
      'a string in numeric data',
      () => decodeV2Request(json(input({}, { data: [1, 'a'] })), undefined),
      /element 1 of data is not a number/,
    ],
    [
      'an integer out of range',
      () => decodeV2Request(json({ inputs: [{ name: 'b', datatype: 'UINT8', shape: [1], data: [256] }] }), undefined),
      /element 0 of data is not an integer in UINT8's range \(0 to 255\)/,
    ],
    [
      'a fraction for an integer type',
      () => decodeV2Request(json({ inputs: [{ name: 'i', datatype: 'INT32', shape: [1], data: [1.5] }] }), undefined),
      /not an integer/,
    ],
    [
      'a number for BOOL',
      () => decodeV2Request(json({ inputs: [{ name: 'b', datatype: 'BOOL', shape: [1], data: [1] }] }), undefined),
      /not true or false/,
    ],
    [
      'a BOOL byte other than 0 or 1',
      () =>
        decodeV2Request(
          ...binaryRequest(
            { inputs: [{ name: 'b', datatype: 'BOOL', shape: [2], parameters: { binary_data_size: 2 } }] },
            new Uint8Array([1, 2]),
          ),
        ),
      /BOOL element 1 is the byte 2/,
    ],
    [
      'FP16 in JSON',
      () => decodeV2Request(json({ inputs: [{ name: 'h', datatype: 'FP16', shape: [1], data: [1] }] }), undefined),
      /FP16 has no JSON form; send it as binary data/,
    ],
    [
      'BF16',
      () => decodeV2Request(json({ inputs: [{ name: 'h', datatype: 'BF16', shape: [1], data: [1] }] }), undefined),
      /BF16 is not supported/,
    ],
    [
      'an unknown datatype',
      () => decodeV2Request(json({ inputs: [{ name: 'h', datatype: 'FLOAT', shape: [1], data: [1] }] }), undefined),
      /unknown datatype "FLOAT"/,
    ],
    [
      'a negative dimension',
      () => decodeV2Request(json({ inputs: [{ name: 'x', datatype: 'FP32', shape: [-1], data: [] }] }), undefined),
      /whole numbers of at least 0/,
    ],
    ['no inputs', () => decodeV2Request(json({ id: 'x' }), undefined), /has no "inputs"/],
    [
      'an input without a name',
      () => decodeV2Request(json({ inputs: [{ datatype: 'FP32', shape: [0], data: [] }] }), undefined),
      /inputs\[0\] has no name/,
    ],
    [
      'an input without a shape',
      () => decodeV2Request(json({ inputs: [{ name: 'x', datatype: 'FP32', data: [] }] }), undefined),
      /has no shape/,
    ],
    [
      'an id that is not a string',
      () => decodeV2Request(json({ id: 42, inputs: [] }), undefined),
      /id must be a string/,
    ],
    [
      'a shape larger than the body could hold',
      () =>
        decodeV2Request(json({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1000000000], data: [] }] }), undefined),
      /shape \[1000000000\] needs 1000000000 elements, more than its data holds/,
    ],
    [
      'a shape past the element limit',
      () =>
        decodeV2Request(
          json({ inputs: [{ name: 'x', datatype: 'FP32', shape: [65536, 65536], data: [] }] }),
          undefined,
        ),
      /exceeds the limit of 2147483647 elements/,
    ],
    [
      'BYTES lengths that overrun',
      () =>
        decodeV2Request(
          ...binaryRequest(
            { inputs: [{ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 6 } }] },
            new Uint8Array([9, 0, 0, 0, 0x61, 0x62]),
          ),
        ),
      /BYTES element 0 claims 9 bytes but only 2 remain/,
    ],
    [
      'BYTES with bytes left after the last element',
      () =>
        decodeV2Request(
          ...binaryRequest(
            { inputs: [{ name: 's', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 6 } }] },
            new Uint8Array([1, 0, 0, 0, 0x61, 0x62]),
          ),
        ),
      /1 bytes are left after its 1 BYTES elements/,
    ],
    [
      'BYTES with no room for a length',
      () =>
        decodeV2Request(
          ...binaryRequest(
            { inputs: [{ name: 's', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 8 } }] },
            new Uint8Array([2, 0, 0, 0, 0x61, 0x62, 0, 0]),
          ),
        ),
      /BYTES element 1 has no room for its 4-byte length/,
    ],
    [
      'the classification extension',
      () =>
        decodeV2Request(json({ inputs: [], outputs: [{ name: 'y', parameters: { classification: 3 } }] }), undefined),
      /classification extension is not supported/,
    ],
    [
      'binary_data that is not a boolean',
      () => decodeV2Request(json({ inputs: [], outputs: [{ name: 'y', parameters: { binary_data: 1 } }] }), undefined),
      /binary_data must be true or false/,
    ],
    ['malformed JSON', () => decodeV2Request(utf8.encode('{"inputs": [}'), undefined), /request JSON: .* at byte 12/],
    [
      'data nested too deeply',
      () =>
        decodeV2Request(
          utf8.encode(
            `{"inputs":[{"name":"x","datatype":"FP32","shape":[1],"data":${'['.repeat(70)}1${']'.repeat(70)}}]}`,
          ),
          undefined,
        ),
      /nested more than 64 deep/,
    ],
  ];
  it.each(cases)('%s', (_name, run, message) => expectRefused(run, message));
});

describe('the raw form', () => {
  it('is a request whose header length is 0', () => {
    const body = f32(4);
    expect(decodeV2Request(body, '0')).toEqual({ kind: 'raw', bytes: body });
  });

  it('takes the single input its declared dtype and works out one variable dimension', () => {
    const values = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const { name, tensor: t } = decodeV2RawInput(new Uint8Array(values.buffer), {
      name: 'features',
      dtype: 'float32',
      shape: [-1, 4],
    });
    expect(name).toBe('features');
    expect(t).toEqual(tensor(values, [2, 4]));
  });

  it('takes a BYTES input of shape [1] as one element holding the whole body', () => {
    const { tensor: t } = decodeV2RawInput(utf8.encode('héllo'), { name: 's', dtype: 'string', shape: [1] });
    expect(t.shape).toEqual([1]);
    expect(new TextDecoder().decode((t.data as Uint8Array[])[0])).toBe('héllo');
  });

  const raw: [string, () => unknown, RegExp][] = [
    [
      'a size that does not fit the shape',
      () => decodeV2RawInput(f32(3), { name: 'x', dtype: 'float32', shape: [-1, 2] }),
      /12 bytes do not make a FP32 tensor of shape \[-1, 2\]/,
    ],
    [
      'a size other than a fixed shape',
      () => decodeV2RawInput(f32(3), { name: 'x', dtype: 'float32', shape: [4] }),
      /do not make/,
    ],
    [
      'two variable dimensions',
      () => decodeV2RawInput(f32(4), { name: 'x', dtype: 'float32', shape: [-1, -1] }),
      /at most one variable dimension/,
    ],
    ['an input of any dtype', () => decodeV2RawInput(f32(4), { name: 'x' }), /needs the input's datatype and shape/],
    [
      'a BYTES input of another shape',
      () => decodeV2RawInput(f32(4), { name: 'x', dtype: 'string', shape: [2] }),
      /BYTES input of shape \[1\] only/,
    ],
  ];
  it.each(raw)('refuses %s', (_name, run, message) => expectRefused(run, message));
});

describe('model metadata', () => {
  it('lists specs with datatypes and -1 for variable dimensions, and reads them back', () => {
    const model = {
      name: 'iris',
      inputs: [{ name: 'features', dtype: 'float32' as const, shape: [-1, 4] }],
      outputs: [
        { name: 'label', dtype: 'int64' as const, shape: [-1] },
        { name: 'mask', dtype: 'bool' as const, shape: [-1] },
        { name: 'anything' },
      ],
    };
    const metadata = v2ModelMetadata(model, ['1', '2'], 'onnxruntime_onnx');
    expect(metadata).toEqual({
      name: 'iris',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'mask', datatype: 'BOOL', shape: [-1] },
        { name: 'anything', datatype: 'ANY', shape: [-1] },
      ],
    });
    const back = tensorSpecsFromV2(JSON.parse(JSON.stringify(metadata)));
    expect(back.inputs).toEqual(model.inputs);
    expect(back.outputs.slice(0, 2)).toEqual(model.outputs.slice(0, 2));
    expect(back.outputs[2]).toEqual({ name: 'anything', shape: [-1] });
  });

  it('names a datatype it has no dtype for', () => {
    const back = tensorSpecsFromV2({ name: 'm', inputs: [{ name: 'x', datatype: 'BF16', shape: [2] }] });
    expect(back.inputs).toEqual([{ name: 'x', shape: [2], description: 'datatype BF16' }]);
  });

  it('maps every dtype to a datatype and back', () => {
    for (const dtype of ALL_DTYPES)
      expect(
        tensorSpecsFromV2({ name: 'm', inputs: [{ name: 'x', datatype: datatypeOf(dtype), shape: [] }] }).inputs[0]!
          .dtype,
      ).toBe(dtype);
  });
});

describe('binaryOffsetOf', () => {
  it('is the header length where it is one, else 0 (the decoder reports a bad header)', () => {
    expect(binaryOffsetOf('12')).toBe(12);
    expect(binaryOffsetOf(' 12 ')).toBe(12);
    expect(binaryOffsetOf('0')).toBe(0);
    for (const bad of [undefined, null, '', 'x', '-1', '1.5', '1234567890123456']) expect(binaryOffsetOf(bad)).toBe(0);
  });
});
