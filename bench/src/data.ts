/** Benchmark inputs: deterministic pseudo-random float32 data in [0, 1), like normalised images. */

export const IMAGE_ROW = [224, 224, 3] as const; // the seed's request rows
export const FEATURE_ROW = [7, 7, 512] as const; // the seed's response rows

export const rowElements = (row: readonly number[]) => row.reduce((a, b) => a * b, 1);

export function randomFloats(count: number, seed = 0x9e3779b9): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 4294967296;
  }
  return out;
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export const MB = 1024 * 1024;
