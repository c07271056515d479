// The JSON reader and writer under the Open Inference Protocol codec: numbers read exactly as
// JSON.parse reads them, float32 written with the fewest digits that read back, generic values
// as JSON.parse builds them, and every malformed input refused with one line.
import fc from 'fast-check';
import { isGraphPipeError } from '@graphpipe/protocol';
import { describe, expect, it } from 'vitest';
import { decodeV2Request } from '@graphpipe/protocol/v2';
import { JsonReader } from '../src/v2/json-reader.js';
import { ByteWriter, writeData, writeFloat32, writeInteger } from '../src/v2/json-writer.js';

const text = new TextDecoder();
const bytes = (s: string) => new TextEncoder().encode(s);
const reader = (s: string) => new JsonReader(bytes(s), 'test JSON');

function float32Text(v: number): string {
  const buf = new Uint8Array(40);
  return text.decode(buf.subarray(0, writeFloat32(buf, 0, v)));
}

/** The shortest decimal that reads back as the float32 v, found the slow way, formatted as JS formats it. */
function shortestFloat32(v: number): string {
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) return String(candidate);
  }
  throw new Error(`no decimal of 9 digits reads back as ${v}`);
}

/** JSON numbers written every way JSON allows: sign, whole digits, fraction, exponent. */
function decimalArb(wholeDigits: number, maxExponent: number): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.boolean(),
      fc.stringMatching(new RegExp(`^(0|[1-9][0-9]{0,${wholeDigits}})$`)),
      fc.option(fc.stringMatching(/^[0-9]{1,24}$/)),
      fc.option(fc.integer({ min: -maxExponent, max: maxExponent })),
    )
    .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}${exp === null ? '' : `e${exp}`}`);
}

const float32Arb = fc
  .integer({ min: 0, max: 0xffffffff })
  .map((bits) => new Float32Array(new Uint32Array([bits]).buffer)[0]!);

describe('float32 digits', () => {
  it('writes the shortest decimal that reads back, formatted as JavaScript formats numbers', () => {
    fc.assert(
      fc.property(float32Arb, (v) => {
        if (!Number.isFinite(v) || v === 0) return;
        const written = float32Text(v);
        expect(Math.fround(Number(written))).toBe(v);
        expect(written).toBe(shortestFloat32(v));
      }),
      { numRuns: 20_000 },
    );
  });

  it('writes familiar values as people write them', () => {
    const cases: [number, string][] = [
      [5.1, '5.1'],
      [0.2, '0.2'],
      [1, '1'],
      [-2.5, '-2.5'],
      [123456789, '123456790'],
      [1e-7, '1e-7'],
      [0.000001, '0.000001'],
      [1e21, '1e+21'],
      [1e20, '100000000000000000000'],
      [3.4e38, '3.4e+38'],
      [1e-40, '1e-40'],
      [0.9998890161514282, '0.999889'],
    ];
    for (const [value, written] of cases) expect(float32Text(Math.fround(value))).toBe(written);
  });

  it('writes zeros, NaN and infinities in forms the reader reads back', () => {
    for (const v of [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const written = float32Text(v);
      expect(Object.is(reader(written).number(), v)).toBe(true);
    }
    expect(float32Text(-0)).toBe('-0.0');
  });
});

describe('numbers', () => {
  it('reads every double exactly as JSON.parse does, from its shortest and its 17-digit forms', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        for (const written of [JSON.stringify(v), v.toPrecision(17), v.toExponential(3)]) {
          expect(Object.is(reader(written).number(), JSON.parse(written))).toBe(true);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads decimals of any length and exponent as JSON.parse does', () => {
    fc.assert(
      fc.property(decimalArb(24, 330), (written) => {
        expect(Object.is(reader(written).number(), JSON.parse(written))).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it("reads float data as JSON.parse reads it, whatever the numbers' form", () => {
    const number = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)),
      fc.float({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)),
      decimalArb(20, 40),
    );
    fc.assert(
      fc.property(
        fc.array(number, { minLength: 1, maxLength: 40 }),
        fc.constantFrom(' ', '', '\n'),
        (numbers, space) => {
          const doc = `{"inputs":[{"name":"x","datatype":"FP64","shape":[${numbers.length}],"data":[${numbers.join(`,${space}`)}]}]}`;
          const req = decodeV2Request(bytes(doc), undefined);
          const got = req.kind === 'infer' ? Array.from(req.inputs[0]!.tensor.data as Float64Array) : [];
          const want = numbers.map((n) => JSON.parse(n) as number);
          expect(got.map((v, i) => Object.is(v, want[i]))).toEqual(want.map(() => true));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('writes whole numbers as their digits', () => {
    for (const v of [0, 7, -7, 10, 255, -128, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      const buf = new Uint8Array(24);
      expect(text.decode(buf.subarray(0, writeInteger(buf, 0, v)))).toBe(String(v));
    }
  });

  it('writes 64-bit integers exactly, beyond 2^53 too', () => {
    const w = new ByteWriter(4);
    const data = new BigInt64Array([0n, -1n, 2n ** 53n + 1n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 53n)]);
    writeData(w, { dtype: 'int64', shape: [6], data });
    expect(text.decode(w.bytes())).toBe(`[${Array.from(data, String).join(',')}]`);
    const u = new ByteWriter();
    const unsigned = new BigUint64Array([0n, 2n ** 64n - 1n, 2n ** 52n]);
    writeData(u, { dtype: 'uint64', shape: [3], data: unsigned });
    expect(text.decode(u.bytes())).toBe(`[${Array.from(unsigned, String).join(',')}]`);
  });
});

describe('generic values', () => {
  it('reads any JSON document as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.json(), (doc) => {
        const r = reader(doc);
        const value = r.value();
        r.finish();
        expect(JSON.parse(JSON.stringify(value))).toEqual(JSON.parse(doc));
      }),
      { numRuns: 5_000 },
    );
  });

  it('reads escapes, non-ASCII text and a key called __proto__ as plain data', () => {
    const value = reader('{"__proto__": {"a": 1}, "s": "\\u00e9\\n\\"é😀\\ud83d\\ude00"}').value() as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(['__proto__', 's']);
    expect(value.s).toBe('é\n"é😀😀');
  });

  const malformed: [string, RegExp][] = [
    ['', /unexpected end of JSON at byte 0/],
    ['{', /expected a key/],
    ['{"a" 1}', /expected ':'/],
    ['{"a":1,}', /expected a key/],
    ['[1,]', /expected a JSON value/],
    ['[1 2]', /expected ',' or '\]'/],
    ['01', /leading zeros/],
    ['1.', /digits after "\."/],
    ['1e', /digits in the exponent/],
    ['-', /digits after "-"/],
    ['"abc', /unterminated string/],
    ['"a\u0001"', /control character/],
    ['"\\x"', /invalid escape/],
    ['"\\u12g4"', /four hex digits/],
    ['tru', /expected true/],
    ['nul', /expected null/],
    ['{} x', /unexpected content after the JSON value/],
    [`${'['.repeat(100)}${']'.repeat(100)}`, /nested more than 64 deep/],
  ];
  it.each(malformed)('refuses %j with one line naming the byte', (doc, message) => {
    let error: unknown;
    try {
      const r = reader(doc);
      r.value();
      r.finish();
    } catch (err) {
      error = err;
    }
    expect(isGraphPipeError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'INVALID_MESSAGE', message: expect.stringMatching(message) });
    expect((error as Error).message).toMatch(/^test JSON: .* at byte \d+$/);
  });

  it('refuses a string that is not UTF-8', () => {
    const doc = new Uint8Array([0x22, 0x61, 0xff, 0x22]);
    expect(() => new JsonReader(doc, 'test JSON').value()).toThrow(/not valid UTF-8/);
  });
});
