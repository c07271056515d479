/** The floor of any codec: copying the same bytes once, and what a first touch of fresh memory adds. */

/** A destination of `bytes` bytes, written once so its pages are resident before any timing. */
export function touchedBuffer(bytes: number): Uint8Array {
  const buf = new Uint8Array(bytes);
  buf.fill(1);
  return buf;
}

/** One warm copy: `src` into an already-touched buffer of the same size. */
export function warmCopy(dst: Uint8Array, src: Uint8Array): Uint8Array {
  dst.set(src);
  return dst;
}

/** Allocate a fresh buffer and copy into it: the copy plus the page faults of first touch. */
export function freshCopy(src: Uint8Array): Uint8Array {
  const dst = new Uint8Array(src.length);
  dst.set(src);
  return dst;
}
