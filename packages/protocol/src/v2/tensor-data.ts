/**
 * A tensor's JSON `data` read straight into its typed array: flat or nested to any depth (the
 * nesting is flattened row-major; only the element count must match the shape), each element
 * checked against the datatype as it is read.
 */
import { type DType, typedArrayFor } from '../dtype.js';
import { GraphPipeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import type { JsonReader } from './json-reader.js';
import { shapeText } from './binary.js';

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;

/** Deeper nesting than any rank we accept is a mistake, not a tensor. */
const MAX_NESTING = 64;

/** Reads element `i` at the reader's position into the output. */
type ElementReader = (r: JsonReader, i: number) => void;

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

/**
 * Reads `data` (the reader is at its `[`) as `count` elements of `dtype`. `what` names the
 * tensor in errors; `datatype` is its protocol name.
 */
export function readData(
  r: JsonReader,
  dtype: DType,
  shape: readonly number[],
  count: number,
  what: string,
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
  const problem = (i: number, expected: string) =>
    new GraphPipeError('INVALID_ARGUMENT', `${what}: element ${i} of data is not ${expected}`);
  let out: Tensor['data'];
  let element: ElementReader;
  if (dtype === 'string') {
    const strings = new Array<string>(count);
    out = strings;
    element = (reader, i) => {
      if (reader.peek() !== QUOTE) throw problem(i, 'a string (BYTES elements are JSON strings)');
      strings[i] = reader.string();
    };
  } else if (dtype === 'bool') {
    const bools = new Uint8Array(count);
    out = bools;
    element = (reader, i) => {
      const c = reader.peek();
      if (c === 0x74) bools[i] = reader.literal('true', 1);
      else if (c === 0x66) bools[i] = reader.literal('false', 0);
      else throw problem(i, 'true or false');
    };
  } else if (dtype === 'float32' || dtype === 'float64') {
    const floats = new (typedArrayFor(dtype))(count);
    out = floats;
    element = (reader, i) => {
      const v = reader.scanNumber();
      if (v === undefined) throw problem(i, 'a number');
      floats[i] = v;
    };
  } else if (dtype === 'int64' || dtype === 'uint64') {
    const wide = new (typedArrayFor(dtype))(count);
    out = wide;
    const words = new Uint32Array(wide.buffer, wide.byteOffset, count * 2);
    const signed = dtype === 'int64';
    element = (reader, i) => {
      const v = readInteger(reader);
      if (v === undefined) throw problem(i, `an integer (${datatype})`);
      if (typeof v === 'number') {
        if (!signed && v < 0) throw problem(i, `an integer in ${datatype}'s range`);
        // Two 32-bit halves: exact for every safe integer, and no BigInt made per element.
        const hi = Math.floor(v / 0x100000000);
        words[2 * i] = v - hi * 0x100000000;
        words[2 * i + 1] = hi;
      } else {
        if (signed ? v < INT64_MIN || v > INT64_MAX : v < 0n || v > UINT64_MAX) {
          throw problem(i, `an integer in ${datatype}'s range`);
        }
        wide[i] = v;
      }
    };
  } else {
    const ints = new (typedArrayFor(dtype))(count) as Exclude<Tensor['data'], readonly unknown[]> & number[];
    out = ints;
    const [min, max] = RANGES[dtype]!;
    element = (reader, i) => {
      const v = reader.scanNumber();
      if (v === undefined || !Number.isInteger(v) || v < min || v > max) {
        throw problem(i, `an integer in ${datatype}'s range (${min} to ${max})`);
      }
      ints[i] = v;
    };
  }
  const n = readElements(r, count, element, what);
  if (n !== count) {
    throw new GraphPipeError(
      'INVALID_ARGUMENT',
      `${what}: data has ${n} elements but shape ${shapeText(shape)} needs ${count}`,
    );
  }
  return out;
}

/** Walks an array nested to any depth, reading each scalar in order; returns how many there were. */
function readElements(r: JsonReader, count: number, element: ElementReader, what: string): number {
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
      if (n === count) {
        throw new GraphPipeError(
          'INVALID_ARGUMENT',
          `${what}: data has more than the ${count} elements its shape needs`,
        );
      }
      element(r, n++);
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
