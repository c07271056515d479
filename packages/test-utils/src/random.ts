/** Uniform numbers in [0, 1), like Math.random. */
export type Random = () => number;

/**
 * mulberry32, a tiny seeded PRNG: one seed always gives the same sequence, so fuzz cases can be
 * replayed from their seed and the model-making scripts rebuild the committed files byte for byte.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer in [0, below). */
export function randomInt(random: Random, below: number): number {
  return Math.floor(random() * below);
}

/** Fisher–Yates shuffle in place; returns `items`. */
export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** `count` float32 values drawn uniformly from [min, max). */
export function uniformFloats(random: Random, count: number, min: number, max: number): Float32Array {
  // From the middle out: for a range symmetric about 0 each value is exactly (2r - 1) * max, the
  // formula the committed models' weights were drawn with.
  const middle = (min + max) / 2;
  const half = (max - min) / 2;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = middle + (random() * 2 - 1) * half;
  return out;
}
