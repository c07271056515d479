/**
 * Writes FlatBuffers front to back: a parent is written before its children, so every uoffset
 * points forward as the format requires. An Emitter without a buffer only measures; running
 * the same layout code once to measure and once to write lets the encoder allocate the exact
 * size up front (no builder regrowth, no final copy).
 */
export class Emitter {
  pos = 0;
  private readonly out: Uint8Array | undefined;
  private readonly view: DataView | undefined;

  constructor(out?: Uint8Array) {
    this.out = out;
    this.view = out && new DataView(out.buffer, out.byteOffset, out.byteLength);
  }

  /** Advances so that `pos + extra` is a multiple of `n`. Buffers start zeroed, so padding writes nothing. */
  align(n: number, extra = 0): void {
    this.pos = alignUp(this.pos + extra, n) - extra;
  }

  u8(at: number, value: number): void {
    this.view?.setUint8(at, value);
  }
  u16(at: number, value: number): void {
    this.view?.setUint16(at, value, true);
  }
  u32(at: number, value: number): void {
    this.view?.setUint32(at, value, true);
  }
  /** A safe integer as int64, written as two 32-bit halves (no BigInt on the hot path). */
  i64(at: number, value: number): void {
    if (!this.view) return;
    this.view.setUint32(at, value >>> 0, true);
    this.view.setInt32(at + 4, Math.floor(value / 0x100000000), true);
  }

  /** Stores at `at` the uoffset that leads to `target`. */
  offset(at: number, target: number): void {
    this.view?.setUint32(at, target - at, true);
  }

  /**
   * Lays out a table whose fields have the given widths in bytes, indexed by field id
   * (0 = absent). Returns the table's position and each field's (0 when absent).
   */
  table(widths: readonly number[]): { at: number; fields: number[] } {
    const plan = planOf(widths);
    // The vtable goes just before its table, so the table's soffset is positive.
    this.align(2);
    const vtable = this.pos;
    this.pos += plan.vtable.length;
    this.align(plan.widest);
    const table = this.pos;
    const offsets = plan.offsets;
    const fields = new Array<number>(offsets.length);
    for (let id = 0; id < offsets.length; id++) fields[id] = offsets[id] ? table + offsets[id]! : 0;
    if (this.out) {
      this.out.set(plan.vtable, vtable);
      this.view!.setInt32(table, table - vtable, true);
    }
    this.pos = table + plan.size;
    return { at: table, fields };
  }

  /** Reserves a vector of `count` elements of `width` bytes; returns where its elements start. */
  vector(count: number, width: number): number {
    this.align(Math.max(4, width), 4);
    this.u32(this.pos, count);
    const start = this.pos + 4;
    this.pos = start + count * width;
    return start;
  }

  /** Writes a string (length, bytes, NUL) and returns its position. */
  string(bytes: Uint8Array): number {
    this.align(4);
    const at = this.pos;
    this.u32(at, bytes.length);
    this.out?.set(bytes, at + 4);
    this.pos = at + 4 + bytes.length + 1;
    return at;
  }
}

export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** How a table with given field widths is laid out; the same for every table of its kind. */
interface TablePlan {
  /** The vtable's bytes: its size, the table's size, then each field's offset in the table. */
  readonly vtable: Uint8Array;
  /** Each field's offset from the table's start (0: absent). */
  readonly offsets: readonly number[];
  readonly size: number;
  readonly widest: number;
}

// Worked out once per widths list (the schema's are constants), not once per table written.
const plans = new WeakMap<readonly number[], TablePlan>();

function planOf(widths: readonly number[]): TablePlan {
  let plan = plans.get(widths);
  if (plan) return plan;
  let widest = 4;
  for (const width of widths) if (width > widest) widest = width;
  // Widest fields first: each lands naturally aligned after the 4-byte soffset.
  const offsets = new Array<number>(widths.length).fill(0);
  let end = 4;
  for (const width of [8, 4, 2, 1]) {
    for (let id = 0; id < widths.length; id++) {
      if (widths[id] !== width) continue;
      end = alignUp(end, width);
      offsets[id] = end;
      end += width;
    }
  }
  const vtable = new Uint8Array(4 + 2 * widths.length);
  const view = new DataView(vtable.buffer);
  view.setUint16(0, vtable.length, true);
  view.setUint16(2, end, true);
  offsets.forEach((offset, id) => view.setUint16(4 + 2 * id, offset, true));
  plan = { vtable, offsets, size: end, widest };
  plans.set(widths, plan);
  return plan;
}
