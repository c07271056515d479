import { invalidMessage } from '../errors.js';

/** A table found in a buffer, with its vtable already bounds-checked. */
export interface TableRef {
  readonly pos: number;
  readonly vtable: number;
  readonly vtableSize: number;
  readonly inlineSize: number;
}

/** A vector's element region: `length` elements starting at byte `start`. */
export interface VectorRef {
  readonly start: number;
  readonly length: number;
}

const EMPTY: VectorRef = { start: 0, length: 0 };
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Bounds-checked access to a FlatBuffer. The flatbuffers JS runtime trusts its input; this
 * reader checks every offset and length against the buffer first, so hostile bytes raise a
 * GraphPipeError('INVALID_MESSAGE') instead of a RangeError or an out-of-range read, and no
 * claimed length is allocated before it is known to fit in the bytes actually received.
 */
export class FlatReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly size: number;
  /**
   * Bytes of vectors still allowed to be read. FlatBuffers lets many offsets share one
   * object, so without this a small message could decode into a huge result by referring
   * to the same string or tensor thousands of times. Honest messages read each byte once.
   */
  private budget: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
    this.budget = bytes.byteLength;
  }

  /** The root table, at the offset stored in the first four bytes. */
  root(what: string): TableRef {
    if (this.size < 8) throw invalidMessage(`${what}: ${this.size} bytes is too short for a GraphPipe message`);
    return this.table(this.view.getUint32(0, true), what);
  }

  table(pos: number, what: string): TableRef {
    const size = this.size;
    if (pos + 4 > size) throw invalidMessage(`${what}: table offset ${pos} is outside the ${size}-byte buffer`);
    const vtable = pos - this.view.getInt32(pos, true);
    if (vtable < 0 || vtable + 4 > size) throw invalidMessage(`${what}: vtable offset ${vtable} is outside the buffer`);
    const vtableSize = this.view.getUint16(vtable, true);
    const inlineSize = this.view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize & 1 || vtable + vtableSize > size)
      throw invalidMessage(`${what}: malformed vtable`);
    if (inlineSize < 4 || pos + inlineSize > size)
      throw invalidMessage(`${what}: table runs past the end of the buffer`);
    return { pos, vtable, vtableSize, inlineSize };
  }

  /** Absolute position of field `id` (of `width` bytes), or 0 when the field is absent. */
  field(t: TableRef, id: number, width: number, what: string): number {
    const slot = 4 + 2 * id;
    if (slot >= t.vtableSize) return 0;
    const off = this.view.getUint16(t.vtable + slot, true);
    if (off === 0) return 0;
    if (off < 4 || off + width > t.inlineSize) throw invalidMessage(`${what}: field lies outside its table`);
    return t.pos + off;
  }

  u8(t: TableRef, id: number, what: string): number {
    const at = this.field(t, id, 1, what);
    return at ? this.view.getUint8(at) : 0;
  }

  /** A 64-bit signed field as a number; values beyond 2^53 are rejected, not rounded. */
  i64(t: TableRef, id: number, what: string): number {
    const at = this.field(t, id, 8, what);
    return at ? this.int64At(at, what) : 0;
  }

  int64At(at: number, what: string): number {
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getInt32(at + 4, true);
    // |value| < 2^53 exactly when hi is within ±2^21.
    if (hi >= 0x200000 || hi < -0x200000) throw invalidMessage(`${what}: 64-bit value is out of range`);
    return hi * 0x100000000 + lo;
  }

  /** Target position of the uoffset stored in field `id`, or 0 when absent. */
  ref(t: TableRef, id: number, what: string): number {
    const at = this.field(t, id, 4, what);
    return at ? this.follow(at, what) : 0;
  }

  follow(at: number, what: string): number {
    const target = at + this.view.getUint32(at, true);
    if (target >= this.size) throw invalidMessage(`${what}: offset points past the end of the buffer`);
    return target;
  }

  /** Vector of `elementWidth`-byte elements in field `id`; empty when absent. */
  vector(t: TableRef, id: number, elementWidth: number, what: string): VectorRef {
    const at = this.ref(t, id, what);
    return at ? this.vectorAt(at, elementWidth, what) : EMPTY;
  }

  vectorAt(at: number, elementWidth: number, what: string): VectorRef {
    if (at + 4 > this.size) throw invalidMessage(`${what}: vector header runs past the end of the buffer`);
    const length = this.view.getUint32(at, true);
    const start = at + 4;
    // length < 2^32 and width <= 8, so the product is exact in a double.
    if (length * elementWidth > this.size - start) {
      throw invalidMessage(`${what}: vector claims ${length} elements but only ${this.size - start} bytes remain`);
    }
    this.budget -= 4 + length * elementWidth;
    if (this.budget < 0) throw invalidMessage(`${what}: the message refers to the same bytes more than once`);
    return { start, length };
  }

  /** Bytes of the string stored at absolute position `at` (a zero-copy view). */
  stringBytesAt(at: number, what: string): Uint8Array {
    const v = this.vectorAt(at, 1, what);
    return this.bytes.subarray(v.start, v.start + v.length);
  }

  /** The string in field `id` as text ('' when absent). */
  string(t: TableRef, id: number, what: string): string {
    const at = this.ref(t, id, what);
    return at ? utf8.decode(this.stringBytesAt(at, what)) : '';
  }

  /** Element `i` of a vector of offsets, followed. */
  element(v: VectorRef, i: number, what: string): number {
    return this.follow(v.start + 4 * i, what);
  }

  /** A vector of strings in field `id`, as text. */
  strings(t: TableRef, id: number, what: string): string[] {
    const v = this.vector(t, id, 4, what);
    const out = new Array<string>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = utf8.decode(this.stringBytesAt(this.element(v, i, what), what));
    return out;
  }

  /** The elements of an int64 vector, as numbers. */
  int64List(v: VectorRef, what: string): number[] {
    const out = new Array<number>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.int64At(v.start + 8 * i, what);
    return out;
  }
}
