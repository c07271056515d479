/**
 * JSON written straight into bytes: the envelope as text, tensor data element by element from
 * the typed array, with no array of JS numbers or strings built first. float32 elements are
 * written with the fewest digits that read back as the same float32 (what numpy prints), about
 * half the text of a double's digits.
 */
import type { Tensor } from '../tensor.js';
import { POW10 } from './json-reader.js';

const utf8 = new TextEncoder();

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
    this.text(JSON.stringify(text));
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

/** The worst-case bytes of a numeric tensor's `data` array, for reserving once. */
export function maxDataBytes(t: Tensor): number {
  return 2 + t.data.length * (MAX_CHARS[t.dtype] ?? 0);
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
      for (let i = 0; i < n; i++) {
        if (i) buf[p++] = 0x2c;
        p = writeFloat32(buf, p, data[i]!);
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

/**
 * A float32 value (held in a double) with the fewest significant digits that read back, through
 * a double, as the same float32; like JavaScript's number formatting otherwise (exponent form
 * below 1e-6 and from 1e21). The candidate with p digits is found with one multiplication by an
 * exact power of ten and checked exactly with one division. Nine digits always suffice; most
 * values need eight or nine, so those are tried first, then a binary search over one to six.
 * Magnitudes beyond the exact powers of ten take toPrecision.
 */
export function writeFloat32(buf: Uint8Array, p: number, v: number): number {
  if (v === 0) return writeAscii(buf, p, Object.is(v, -0) ? '-0.0' : '0');
  if (!Number.isFinite(v)) return writeAscii(buf, p, numberText(v));
  if (v < 0) {
    buf[p++] = 0x2d;
    v = -v;
  }
  // The decimal exponent from the binary one: right, or one too small (the 9-digit step corrects it).
  f32[0] = v;
  let e10 = Math.floor((((f32Bits[0]! >> 23) & 0xff) - 127) * Math.LOG10E * Math.LN2);
  if (e10 < -13 || e10 > 21) return writeAscii(buf, p, slowFloat32(v));
  let m = digitsAt(v, 9, e10);
  if (m >= 1e9) {
    e10++;
    m = digitsAt(v, 9, e10);
  }
  let best = m;
  let bestP = 9;
  let candidate = digitsAt(v, 8, e10);
  if (readsBack(candidate, 7 - e10, v)) {
    best = candidate;
    bestP = 8;
    candidate = digitsAt(v, 7, e10);
    if (readsBack(candidate, 6 - e10, v)) {
      best = candidate;
      bestP = 7;
      let lo = 1;
      let hi = 6;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        candidate = digitsAt(v, mid, e10);
        if (readsBack(candidate, mid - 1 - e10, v)) {
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
  let exponent = e10 - bestP + 1;
  while (best % 10 === 0) {
    best /= 10;
    exponent++;
  }
  return writeDecimal(buf, p, best, exponent);
}

/** round(v × 10^(p - 1 - e10)): v to p significant digits, as a whole number (v > 0). */
function digitsAt(v: number, p: number, e10: number): number {
  const k = p - 1 - e10;
  // floor(x + 0.5) rather than Math.round, which V8 does not inline here; x < 2^31, so the sum is exact.
  return Math.floor((k >= 0 ? v * POW10[k]! : v / POW10[-k]!) + 0.5);
}

/** Whether m × 10^-k reads back as the float32 v; exact, as both m and 10^k are exact doubles. */
function readsBack(m: number, k: number, v: number): boolean {
  return Math.fround(k >= 0 ? m / POW10[k]! : m * POW10[-k]!) === v;
}

/** digits × 10^exponent, where `digits` has no trailing zeros, as JavaScript would print it. */
function writeDecimal(buf: Uint8Array, p: number, digits: number, exponent: number): number {
  let n = 0;
  // digits ≤ 10^9 < 2^31: int32 arithmetic.
  for (let d = digits | 0; d > 0; ) {
    const q = (d / 10) | 0;
    digitScratch[n++] = 0x30 + d - q * 10;
    d = q;
  }
  // digitScratch holds the digits backwards; e is the power of ten of the first digit.
  const e = exponent + n - 1;
  if (e >= 21 || e < -6) {
    buf[p++] = digitScratch[n - 1]!;
    if (n > 1) {
      buf[p++] = 0x2e;
      for (let i = n - 2; i >= 0; i--) buf[p++] = digitScratch[i]!;
    }
    buf[p++] = 0x65;
    buf[p++] = e < 0 ? 0x2d : 0x2b;
    return writeInteger(buf, p, Math.abs(e));
  }
  if (exponent >= 0) {
    for (let i = n - 1; i >= 0; i--) buf[p++] = digitScratch[i]!;
    for (let i = 0; i < exponent; i++) buf[p++] = 0x30;
    return p;
  }
  if (e >= 0) {
    for (let i = n - 1; i >= 0; i--) {
      buf[p++] = digitScratch[i]!;
      if (i === n - 1 - e && i > 0) buf[p++] = 0x2e;
    }
    return p;
  }
  buf[p++] = 0x30;
  buf[p++] = 0x2e;
  for (let i = -1; i > e; i--) buf[p++] = 0x30;
  for (let i = n - 1; i >= 0; i--) buf[p++] = digitScratch[i]!;
  return p;
}

/** The shortest toPrecision that reads back, for magnitudes the fast path does not cover. */
function slowFloat32(v: number): string {
  for (let p = 1; p < 9; p++) {
    const text = v.toPrecision(p);
    if (Math.fround(Number(text)) === v) return String(Number(text));
  }
  return String(Number(v.toPrecision(9)));
}
