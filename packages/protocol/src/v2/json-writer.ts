/**
 * JSON written straight into bytes: the envelope as text, tensor data element by element from
 * the typed array, with no array of JS numbers or strings built first. float32 elements are
 * written with the fewest digits that read back as the same float32 (what numpy prints), about
 * half the text of a double's digits.
 */
import type { Tensor } from '../tensor.js';
import { POW10 } from './json-reader.js';

const utf8 = new TextEncoder();

/** Printable ASCII that a JSON string holds as it is (no quote, backslash or control character). */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Most bytes one element of these dtypes takes, with its comma ("-1.2345678e-38," is 15). */
const MAX_CHARS: Readonly<Partial<Record<Tensor['dtype'], number>>> = {
  bool: 6,
  uint8: 4,
  int8: 5,
  uint16: 6,
  int16: 7,
  uint32: 11,
  int32: 12,
  uint64: 21,
  int64: 21,
  float32: 16,
  float64: 25,
};

/** A growing byte buffer that JSON is written into. */
export class ByteWriter {
  buf: Uint8Array;
  pos = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Text known to be ASCII (keys, punctuation, numbers). */
  ascii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const { buf } = this;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = text.charCodeAt(i);
    this.pos = p;
  }

  /** Any text as UTF-8. */
  text(text: string): void {
    this.reserve(text.length * 3);
    this.pos += utf8.encodeInto(text, this.buf.subarray(this.pos)).written;
  }

  /** A JSON string literal. */
  string(text: string): void {
    // Names and ids are mostly plain ASCII, which needs no escaping and no UTF-8 encoder.
    if (PLAIN.test(text)) {
      this.reserve(text.length + 2);
      const { buf } = this;
      let p = this.pos;
      buf[p++] = 0x22;
      for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i);
      buf[p++] = 0x22;
      this.pos = p;
    } else {
      this.text(JSON.stringify(text));
    }
  }

  /** Any JSON-able value (parameters, ids), as JSON.stringify writes it. */
  json(value: unknown): void {
    this.text(JSON.stringify(value));
  }

  /** The bytes written so far (a view, not a copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Below this, messages are written into one reused buffer and copied out at their exact size. */
const SCRATCH_BYTES = 16 * 1024;
let scratch: ByteWriter | undefined;

/**
 * Writes a message with `write` and returns its bytes. Small messages (by `estimate`) go through
 * one reused buffer and come out as an exact-size copy: one small allocation, instead of a buffer
 * sized for the worst case; large ones are written into a buffer of their own, uncopied.
 */
export function written(estimate: number, write: (w: ByteWriter) => void): Uint8Array {
  if (estimate > SCRATCH_BYTES) {
    const w = new ByteWriter(estimate);
    write(w);
    return w.bytes();
  }
  scratch ??= new ByteWriter(SCRATCH_BYTES);
  const w = scratch;
  w.pos = 0;
  write(w);
  const out = w.bytes().slice();
  // A message that grew the buffer far past the usual leaves it to the collector.
  if (w.buf.length > 4 * SCRATCH_BYTES) scratch = undefined;
  return out;
}

/** The worst-case bytes of a numeric tensor's `data` array, for reserving once. */
export function maxDataBytes(t: Tensor): number {
  return 2 + t.data.length * (MAX_CHARS[t.dtype] ?? 0);
}

/**
 * Room for a message's JSON: the envelope, and the worst case of each numeric tensor sent as JSON
 * (strings grow the buffer as they come).
 */
export function jsonEstimate(
  tensors: readonly { readonly tensor: Tensor }[],
  binary: (index: number) => boolean,
): number {
  let estimate = 256;
  tensors.forEach((t, i) => {
    if (!binary(i) && t.tensor.dtype !== 'string') estimate += maxDataBytes(t.tensor);
  });
  return estimate;
}

/**
 * Writes a tensor's elements as a flat JSON array. Strings are written from JS strings or
 * UTF-8 bytes (the caller checked the bytes are UTF-8: see jsonText). float16 has no JSON form.
 */
export function writeData(w: ByteWriter, t: Tensor, strings?: readonly string[]): void {
  if (t.dtype === 'string') {
    const values = strings ?? (t.data as readonly string[]);
    w.ascii('[');
    for (let i = 0; i < values.length; i++) {
      if (i) w.ascii(',');
      w.string(values[i]!);
    }
    w.ascii(']');
    return;
  }
  w.reserve(maxDataBytes(t));
  const buf = w.buf;
  let p = w.pos;
  buf[p++] = 0x5b;
  const n = t.data.length;
  switch (t.dtype) {
    case 'float32': {
      const data = t.data;
      const bits = new Int32Array(data.buffer, data.byteOffset, n);
      for (let i = 0; i < n; i++) {
        if (i) buf[p++] = 0x2c;
        p = writeFloat32Bits(buf, p, data[i]!, bits[i]!);
      }
      break;
    }
    case 'float64': {
      const data = t.data;
      for (let i = 0; i < n; i++) {
        if (i) buf[p++] = 0x2c;
        p = writeAscii(buf, p, numberText(data[i]!));
      }
      break;
    }
    case 'bool': {
      const data = t.data;
      for (let i = 0; i < n; i++) {
        if (i) buf[p++] = 0x2c;
        p = writeAscii(buf, p, data[i] ? 'true' : 'false');
      }
      break;
    }
    case 'int64':
    case 'uint64': {
      const data = t.data;
      // Each element as two 32-bit halves: most fit a double exactly and skip BigInt arithmetic.
      const words = new Uint32Array(data.buffer, data.byteOffset, n * 2);
      const signed = t.dtype === 'int64';
      for (let i = 0; i < n; i++) {
        if (i) buf[p++] = 0x2c;
        const lo = words[2 * i]!;
        const hi = signed ? words[2 * i + 1]! | 0 : words[2 * i + 1]!;
        p =
          hi >= -0x200000 && hi < 0x200000
            ? writeInteger(buf, p, hi * 0x100000000 + lo)
            : writeAscii(buf, p, String(data[i]));
      }
      break;
    }
    case 'float16':
      throw new TypeError('float16 has no JSON form; send it as binary data');
    default: {
      const data = t.data as ArrayLike<number>;
      for (let i = 0; i < n; i++) {
        if (i) buf[p++] = 0x2c;
        p = writeInteger(buf, p, data[i]!);
      }
    }
  }
  buf[p++] = 0x5d;
  w.pos = p;
}

/** JSON has no NaN or infinities; they are written as Python's json module writes them. */
function numberText(v: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0';
  return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

function writeAscii(buf: Uint8Array, p: number, text: string): number {
  for (let i = 0; i < text.length; i++) buf[p++] = text.charCodeAt(i);
  return p;
}

const digitScratch = new Uint8Array(24);

/** A whole number whose magnitude is below 2^53. */
export function writeInteger(buf: Uint8Array, p: number, v: number): number {
  if (v < 0) {
    buf[p++] = 0x2d;
    v = -v;
  }
  if (v < 10) {
    buf[p] = 0x30 + v;
    return p + 1;
  }
  let n = 0;
  while (v >= 10) {
    const q = Math.floor(v / 10);
    digitScratch[n++] = 0x30 + (v - q * 10);
    v = q;
  }
  buf[p++] = 0x30 + v;
  while (n > 0) buf[p++] = digitScratch[--n]!;
  return p;
}

/** Reinterprets a float32's bits, for its binary exponent. */
const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

/** Half the spacing of float32 values with each biased exponent: 2^(e - 127 - 24). */
const HALF_ULP = Float64Array.from({ length: 256 }, (_, e) => 2 ** (e - 151));
/** 10^-j, for scaling the 9-digit units down to p digits (inexact, which the margin below covers). */
const INV_POW10 = Float64Array.from({ length: 9 }, (_, j) => 10 ** -j);
/**
 * Doubles carry ~1e-7 of error at 10^9 units; float32 half-spacings there are above 3 units. An
 * error this close to the half-spacing is settled exactly instead.
 */
const MARGIN = 1e-3;

/**
 * A float32 value (held in a double) with the fewest significant digits that read back, through
 * a double, as the same float32; like JavaScript's number formatting otherwise (exponent form
 * below 1e-6 and from 1e21). Nine digits always suffice. In units of the ninth digit, v is x and
 * half the spacing to the next float32 is h: the p-digit candidate reads back when it is less
 * than h from x, which takes a multiplication and a comparison (an exact check by division only
 * when the distance is within a hair of h). Most values need eight or nine digits, so those are
 * tried first, then a binary search over one to six. Magnitudes beyond exact powers of ten, and
 * subnormals, take toPrecision.
 */
export function writeFloat32(buf: Uint8Array, p: number, v: number): number {
  f32[0] = v;
  return writeFloat32Bits(buf, p, v, f32Bits[0]!);
}

/** writeFloat32, given the value's float32 bits too (read from the data's own memory, no conversion). */
function writeFloat32Bits(buf: Uint8Array, p: number, v: number, bits: number): number {
  const biased = (bits >>> 23) & 0xff;
  if ((bits & 0x7fffffff) === 0) return writeAscii(buf, p, bits < 0 ? '-0.0' : '0');
  if (biased === 0xff) return writeAscii(buf, p, numberText(v));
  if (bits < 0) {
    buf[p++] = 0x2d;
    v = -v;
  }
  // The decimal exponent from the binary one: right, or one too small (corrected below).
  let e10 = Math.floor((biased - 127) * LOG10_2);
  if (biased === 0 || e10 < -13 || e10 > 21) return writeAscii(buf, p, slowFloat32(v));
  let k = 8 - e10;
  let x = k >= 0 ? v * POW10[k]! : v / POW10[-k]!;
  if (x >= 999_999_999.5) {
    e10++;
    k--;
    x = k >= 0 ? v * POW10[k]! : v / POW10[-k]!;
  }
  const h = k >= 0 ? HALF_ULP[biased]! * POW10[k]! : HALF_ULP[biased]! / POW10[-k]!;
  // Below a power of two the spacing halves.
  const hBelow = (bits & 0x7fffff) === 0 ? h / 2 : h;
  let best = Math.floor(x + 0.5);
  let bestP = 9;
  let candidate = fits(x, 1, h, hBelow, k, v);
  if (candidate >= 0) {
    best = candidate;
    bestP = 8;
    candidate = fits(x, 2, h, hBelow, k, v);
    if (candidate >= 0) {
      best = candidate;
      bestP = 7;
      let lo = 1;
      let hi = 6;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        candidate = fits(x, 9 - mid, h, hBelow, k, v);
        if (candidate >= 0) {
          best = candidate;
          bestP = mid;
          hi = mid - 1;
        } else {
          lo = mid + 1;
        }
      }
    }
  }
  // best × 10^(e10 - bestP + 1); rounding up may have carried into one more digit (9.99… → 10).
  // best ≤ 10^9 < 2^31, so int32 arithmetic. (d * 0.1) | 0 is floor(d / 10) for such d: 0.1 is a hair
  // above a tenth, too little to reach the next integer, and a product that is a whole number rounds to it.
  let digits = best | 0;
  let exponent = e10 - bestP + 1;
  let count = digits >= POW10[bestP]! ? bestP + 1 : bestP;
  for (let q = (digits * 0.1) | 0; digits === q * 10; q = (digits * 0.1) | 0) {
    digits = q;
    exponent++;
    count--;
  }
  return writeDecimal(buf, p, digits, count, exponent);
}

const LOG10_2 = Math.LOG10E * Math.LN2;

/**
 * The digits of v rounded to 9 - j significant digits, if they read back as v, else -1. `x` is v
 * in units of its ninth digit (v × 10^k), `h` and `hBelow` half the spacing above and below v in
 * those units.
 */
function fits(x: number, j: number, h: number, hBelow: number, k: number, v: number): number {
  const digits = Math.floor(x * INV_POW10[j]! + 0.5);
  const distance = digits * POW10[j]! - x;
  const limit = distance >= 0 ? h : hBelow;
  const gap = Math.abs(distance) - limit;
  if (gap < -MARGIN) return digits;
  if (gap > MARGIN) return -1;
  return readsBack(digits, k - j, v) ? digits : -1;
}

/** Whether m × 10^-k reads back as the float32 v; exact, as both m and 10^k are exact doubles. */
function readsBack(m: number, k: number, v: number): boolean {
  return Math.fround(k >= 0 ? m / POW10[k]! : m * POW10[-k]!) === v;
}

/**
 * digits × 10^exponent, where `digits` (< 10^9) has `n` digits and no trailing zeros, as JavaScript
 * would print it.
 */
function writeDecimal(buf: Uint8Array, p: number, digits: number, n: number, exponent: number): number {
  // e is the power of ten of the first digit.
  const e = exponent + n - 1;
  if (e >= 21 || e < -6) {
    // d.ddde±x, rare: the digits first, then the point moved in behind the first.
    writeDigits(buf, p + 1 + n, digits, n);
    buf[p] = buf[p + 1]!;
    if (n > 1) buf[p + 1] = 0x2e;
    p += n > 1 ? n + 1 : 1;
    buf[p++] = 0x65;
    buf[p++] = e < 0 ? 0x2d : 0x2b;
    return writeInteger(buf, p, Math.abs(e));
  }
  if (exponent >= 0) {
    writeDigits(buf, p + n, digits, n);
    p += n;
    for (let i = 0; i < exponent; i++) buf[p++] = 0x30;
    return p;
  }
  if (e >= 0) {
    // ddd.ddd: the fraction's digits, the point, then the whole part's.
    const fraction = -exponent;
    const whole = (digits / POW10[fraction]!) | 0;
    const end = p + n + 1;
    writeDigits(buf, end, digits - whole * POW10[fraction]!, fraction);
    buf[p + e + 1] = 0x2e;
    writeDigits(buf, p + e + 1, whole, e + 1);
    return end;
  }
  // 0.000ddd
  buf[p++] = 0x30;
  buf[p++] = 0x2e;
  for (let i = -1; i > e; i--) buf[p++] = 0x30;
  writeDigits(buf, p + n, digits, n);
  return p + n;
}

/** Exactly `count` digits of `value` (< 2^31, zero-padded on the left), ending before `end`. */
function writeDigits(buf: Uint8Array, end: number, value: number, count: number): void {
  let d = value | 0;
  let at = end;
  // Four digits at a time from a table; floor(d / 10^4) as (d * 0.0001) | 0, as in writeFloat32.
  for (; count >= 4; count -= 4) {
    const q = (d * 0.0001) | 0;
    const quad = (d - q * 10000) * 4;
    buf[--at] = DIGIT_QUADS[quad + 3]!;
    buf[--at] = DIGIT_QUADS[quad + 2]!;
    buf[--at] = DIGIT_QUADS[quad + 1]!;
    buf[--at] = DIGIT_QUADS[quad]!;
    d = q;
  }
  for (; count > 0; count--) {
    const q = (d * 0.1) | 0;
    buf[--at] = 0x30 + d - q * 10;
    d = q;
  }
}

/** "0000" to "9999" as runs of four bytes (40 KB); plain loops, as every importer builds it. */
const DIGIT_QUADS = digitQuads();

function digitQuads(): Uint8Array {
  const quads = new Uint8Array(40_000);
  let at = 0;
  for (let a = 0x30; a <= 0x39; a++)
    for (let b = 0x30; b <= 0x39; b++)
      for (let c = 0x30; c <= 0x39; c++)
        for (let d = 0x30; d <= 0x39; d++) {
          quads[at++] = a;
          quads[at++] = b;
          quads[at++] = c;
          quads[at++] = d;
        }
  return quads;
}

/** The shortest toPrecision that reads back, for magnitudes the fast path does not cover. */
function slowFloat32(v: number): string {
  for (let p = 1; p < 9; p++) {
    const text = v.toPrecision(p);
    if (Math.fround(Number(text)) === v) return String(Number(text));
  }
  return String(Number(v.toPrecision(9)));
}
