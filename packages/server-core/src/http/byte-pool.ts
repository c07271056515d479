/**
 * Small byte buffers cut from shared slabs, 8-aligned (as the decoder's views need), instead of
 * an ArrayBuffer each: most requests and answers are small, and a fresh ArrayBuffer (a backing
 * store outside the heap, tracked by the garbage collector) costs far more than its few bytes.
 * Space is never handed out twice: a slab is freed by the garbage collector once nothing cut
 * from it is in use (a body's tensors, an answer still being written).
 */
export const SMALL_BYTES = 4096;
const SLAB_BYTES = 256 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** `n` zeroed bytes (n ≤ SMALL_BYTES), from the current slab. */
export function smallBytes(n: number): Uint8Array {
  if (used + n > SLAB_BYTES) newSlab();
  const bytes = slab.subarray(used, used + n);
  used = align(used + n);
  return bytes;
}

/**
 * Lets `write` fill part of the current slab's free space (at least SMALL_BYTES of it), and
 * keeps what it used: for encoders that write into a buffer they are given and return the part
 * written. Whatever `write` returns from elsewhere is returned as it is.
 */
export function writeSmall(write: (into: Uint8Array<ArrayBuffer>) => Uint8Array): Uint8Array {
  if (used + SMALL_BYTES > SLAB_BYTES) newSlab();
  const free = slab.subarray(used);
  const out = write(free);
  if (out.buffer === slab.buffer && out.byteOffset === free.byteOffset) used = align(used + out.length);
  return out;
}

function newSlab(): void {
  slab = new Uint8Array(SLAB_BYTES);
  used = 0;
}

function align(n: number): number {
  return (n + 7) & ~7;
}
