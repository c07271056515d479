/**
 * A tensor's JSON `data` read straight into its typed array: flat or nested to any depth (the
 * nesting is flattened row-major; only the element count must match the shape), each element
 * checked against the datatype as it is read. One loop for every datatype, switching per element
 * on a small number: nothing is allocated per element or per tensor but the output.
 */
import { type DType, typedArrayFor } from '../dtype.js';
import { GraphPipeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { shapeText } from './binary.js';
import { type JsonReader, POW10 } from './json-reader.js';

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;

/** Deeper nesting than any rank we accept is a mistake, not a tensor. */
const MAX_NESTING = 64;

/** How elements are read, by family. */
const Family = { Float: 0, Int: 1, Wide: 2, Bool: 3, Text: 4 } as const;
type Family = (typeof Family)[keyof typeof Family];

const RANGES: Readonly<Partial<Record<DType, readonly [number, number]>>> = {
  uint8: [0, 0xff],
  int8: [-0x80, 0x7f],
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** What one tensor's elements are read into, and how (one shape of object for every datatype). */
class Target {
  numbers: { [i: number]: number } | undefined = undefined;
  strings: string[] | undefined = undefined;
  wide: BigInt64Array | BigUint64Array | undefined = undefined;
  /** The wide array's 32-bit halves, written directly for safe integers. */
  words: Uint32Array | undefined = undefined;
  min = 0;
  max = 0;
  signed = false;

  constructor(readonly family: Family) {}
}

/**
 * Reads `data` (the reader is at its `[`) as `count` elements of `dtype`. `what` names the
 * tensor in errors (made into text only for one); `datatype` is its protocol name.
 */
export function readData(
  r: JsonReader,
  dtype: DType,
  shape: readonly number[],
  count: number,
  what: { toString(): string },
  datatype: string,
): Tensor['data'] {
  if (dtype === 'float16') {
    throw new GraphPipeError('INVALID_ARGUMENT', `${what}: FP16 has no JSON form; send it as binary data`);
  }
  if (r.peek() !== OPEN_BRACKET) r.fail(`${what}: data must be an array`);
  // Every element takes at least one byte: a shape the text cannot hold is refused before allocating.
  if (count > r.end - r.pos) {
    throw new GraphPipeError(
      'INVALID_ARGUMENT',
      `${what}: shape ${shapeText(shape)} needs ${count} elements, more than its data holds`,
    );
  }
  const target = targetFor(dtype, count);
  const n =
    target.family === Family.Float
      ? readFloats(r, target.numbers as Float32Array | Float64Array, count, what)
      : readElements(r, count, target, what, datatype);
  if (n !== count) {
    throw new GraphPipeError(
      'INVALID_ARGUMENT',
      `${what}: data has ${n} elements but shape ${shapeText(shape)} needs ${count}`,
    );
  }
  return (target.strings ?? target.wide ?? target.numbers) as Tensor['data'];
}

function targetFor(dtype: Exclude<DType, 'float16'>, count: number): Target {
  switch (dtype) {
    case 'string': {
      const t = new Target(Family.Text);
      t.strings = new Array<string>(count);
      return t;
    }
    case 'bool': {
      const t = new Target(Family.Bool);
      t.numbers = new Uint8Array(count);
      return t;
    }
    case 'float32':
    case 'float64': {
      const t = new Target(Family.Float);
      t.numbers = new (typedArrayFor(dtype))(count);
      return t;
    }
    case 'int64':
    case 'uint64': {
      const t = new Target(Family.Wide);
      const wide = new (typedArrayFor(dtype))(count);
      t.wide = wide;
      t.words = new Uint32Array(wide.buffer, wide.byteOffset, count * 2);
      t.signed = dtype === 'int64';
      return t;
    }
    default: {
      const t = new Target(Family.Int);
      t.numbers = new (typedArrayFor(dtype))(count);
      [t.min, t.max] = RANGES[dtype]!;
      return t;
    }
  }
}

/** Walks an array nested to any depth, reading each scalar in order; returns how many there were. */
function readElements(r: JsonReader, count: number, t: Target, what: { toString(): string }, datatype: string): number {
  let n = 0;
  let depth = 0;
  // At the top of the loop the reader is where a value (or, just after '[', a ']') may start.
  let afterOpen = false;
  for (;;) {
    const c = r.peek();
    if (c === OPEN_BRACKET) {
      if (++depth > MAX_NESTING) r.fail(`${what}: data nested more than ${MAX_NESTING} deep`);
      r.pos++;
      afterOpen = true;
      continue;
    }
    if (!(afterOpen && c === CLOSE_BRACKET)) {
      if (n === count) throw tooMany(what, count);
      readElement(r, c, n++, t, what, datatype);
    }
    afterOpen = false;
    // After a value: a comma and the next value, or closing brackets.
    for (;;) {
      const d = r.peek();
      if (d === COMMA) {
        r.pos++;
        break;
      }
      if (d !== CLOSE_BRACKET) r.fail(`${what}: expected ',' or ']' in data`);
      r.pos++;
      if (--depth === 0) return n;
    }
  }
}

/**
 * readElements for float data, the bulk of large JSON requests, with the bytes and position in
 * locals and plain numbers parsed inline, fraction digits four at a time: up to 15 significant
 * digits and a power of ten up to 22 give the exact double with one division. Anything else
 * (longer numbers, exponents, NaN, Infinity) goes through the reader's own scanNumber.
 */
function readFloats(
  r: JsonReader,
  out: Float32Array | Float64Array,
  count: number,
  what: { toString(): string },
): number {
  const b = r.bytes;
  const end = b.length;
  const words = new DataView(b.buffer, b.byteOffset, end);
  let p = r.pos;
  let n = 0;
  let depth = 0;
  let afterOpen = false;
  for (;;) {
    let c = b[p];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p];
    if (c === OPEN_BRACKET) {
      if (++depth > MAX_NESTING) {
        r.pos = p;
        r.fail(`${what}: data nested more than ${MAX_NESTING} deep`);
      }
      p++;
      afterOpen = true;
      continue;
    }
    if (!(afterOpen && c === CLOSE_BRACKET)) {
      if (n === count) throw tooMany(what, count);
      // Inline: [-]digits[.digits], the form writers use; the rest through scanNumber. The mantissa
      // is exact while below 10^15 (15 significant digits), which the last check makes sure of.
      const start = p;
      const negative = c === 0x2d;
      if (negative) c = b[++p];
      let mantissa = 0;
      let exponent = 0;
      let simple = c !== undefined && c >= 0x31 && c <= 0x39;
      if (c === 0x30) {
        c = b[++p];
        simple = c === undefined || c < 0x30 || c > 0x39;
      } else {
        while (c !== undefined && c >= 0x30 && c <= 0x39) {
          mantissa = mantissa * 10 + (c - 0x30);
          c = b[++p];
        }
      }
      if (simple && c === 0x2e) {
        c = b[++p];
        simple = c !== undefined && c >= 0x30 && c <= 0x39;
        // Four fraction digits at a time, read as one little-endian word (SWAR).
        while (mantissa < 1e11 && p + 4 <= end) {
          const w = words.getUint32(p, true);
          if (((w & 0xf0f0f0f0) | (((w + 0x06060606) & 0xf0f0f0f0) >>> 4)) !== 0x33333333) break;
          const d = w & 0x0f0f0f0f;
          const pairs = d * 10 + (d >>> 8);
          mantissa = mantissa * 10000 + (pairs & 0xff) * 100 + ((pairs >>> 16) & 0xff);
          exponent -= 4;
          p += 4;
        }
        c = b[p];
        while (c !== undefined && c >= 0x30 && c <= 0x39) {
          mantissa = mantissa * 10 + (c - 0x30);
          exponent--;
          c = b[++p];
        }
      }
      if (simple && mantissa < 1e15 && exponent >= -22 && c !== 0x65 && c !== 0x45) {
        const v = exponent === 0 ? mantissa : mantissa / POW10[-exponent]!;
        out[n++] = negative ? -v : v;
      } else {
        r.pos = start;
        const v = r.scanNumber();
        if (v === undefined) throw notA(what, n, 'a number');
        out[n++] = v;
        p = r.pos;
      }
    }
    afterOpen = false;
    for (;;) {
      c = b[p];
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p];
      if (c === COMMA) {
        p++;
        break;
      }
      if (c !== CLOSE_BRACKET) {
        r.pos = p;
        r.fail(`${what}: expected ',' or ']' in data`);
      }
      p++;
      if (--depth === 0) {
        r.pos = p;
        return n;
      }
    }
  }
}

/** Reads element `i`, whose first byte is `c`, into the target. */
function readElement(
  r: JsonReader,
  c: number,
  i: number,
  t: Target,
  what: { toString(): string },
  datatype: string,
): void {
  switch (t.family) {
    case Family.Float: {
      const v = r.scanNumber();
      if (v === undefined) throw notA(what, i, 'a number');
      t.numbers![i] = v;
      return;
    }
    case Family.Int: {
      const v = r.scanNumber();
      if (v === undefined || !Number.isInteger(v) || v < t.min || v > t.max) {
        throw notA(what, i, `an integer in ${datatype}'s range (${t.min} to ${t.max})`);
      }
      t.numbers![i] = v;
      return;
    }
    case Family.Wide: {
      const v = readInteger(r);
      if (v === undefined) throw notA(what, i, `an integer (${datatype})`);
      if (typeof v === 'number') {
        if (!t.signed && v < 0) throw notA(what, i, `an integer in ${datatype}'s range`);
        // Two 32-bit halves: exact for every safe integer, and no BigInt made per element.
        const hi = Math.floor(v / 0x100000000);
        t.words![2 * i] = v - hi * 0x100000000;
        t.words![2 * i + 1] = hi;
      } else {
        if (t.signed ? v < INT64_MIN || v > INT64_MAX : v < 0n || v > UINT64_MAX) {
          throw notA(what, i, `an integer in ${datatype}'s range`);
        }
        t.wide![i] = v;
      }
      return;
    }
    case Family.Bool:
      if (c === 0x74) t.numbers![i] = r.literal('true', 1);
      else if (c === 0x66) t.numbers![i] = r.literal('false', 0);
      else throw notA(what, i, 'true or false');
      return;
    case Family.Text:
      if (c !== QUOTE) throw notA(what, i, 'a string (BYTES elements are JSON strings)');
      t.strings![i] = r.string();
  }
}

function tooMany(what: { toString(): string }, count: number): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', `${what}: data has more than the ${count} elements its shape needs`);
}

function notA(what: { toString(): string }, i: number, expected: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', `${what}: element ${i} of data is not ${expected}`);
}

/**
 * An integer: a number when it has at most 15 digits (exact), a bigint beyond. A fraction or
 * exponent is accepted when the value is still a whole, safe integer (1.0, 1e3).
 */
function readInteger(r: JsonReader): number | bigint | undefined {
  const b = r.bytes;
  const start = r.pos;
  let p = start;
  if (b[p] === 0x2d) p++;
  const digitsStart = p;
  let c = b[p];
  while (c !== undefined && c >= 0x30 && c <= 0x39) c = b[++p];
  const digits = p - digitsStart;
  if (digits === 0 || c === 0x2e || c === 0x65 || c === 0x45 || (digits > 1 && b[digitsStart] === 0x30)) {
    const v = r.scanNumber();
    return v !== undefined && Number.isSafeInteger(v) ? v : undefined;
  }
  r.pos = p;
  if (digits <= 15) {
    let v = 0;
    for (let i = digitsStart; i < p; i++) v = v * 10 + (b[i]! - 0x30);
    return digitsStart > start ? -v : v;
  }
  let text = '';
  for (let i = start; i < p; i++) text += String.fromCharCode(b[i]!);
  return BigInt(text);
}
