/** Benchmark inputs: deterministic pseudo-random float32 data in [0, 1), like normalised images. */
import { seededRandom, uniformFloats } from '@graphpipe/test-utils';

export const IMAGE_ROW = [224, 224, 3] as const; // the seed's request rows
export const FEATURE_ROW = [7, 7, 512] as const; // the seed's response rows

/** The small request's values: a 1x4 float32 tensor (an Iris row). */
export const SMALL_VALUES = new Float32Array([5.1, 3.5, 1.4, 0.2]);

export const rowElements = (row: readonly number[]) => row.reduce((a, b) => a * b, 1);

export const randomFloats = (count: number, seed = 0x9e3779b9): Float32Array =>
  uniformFloats(seededRandom(seed), count, 0, 1);

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export const MB = 1024 * 1024;
