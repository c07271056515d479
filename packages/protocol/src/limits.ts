/** Bounds a decoder enforces before it trusts any size a message claims. */
export interface DecodeLimits {
  /** Most elements one tensor may hold (product of its shape). */
  readonly maxElements: number;
  /** Most tensors one message may carry. */
  readonly maxTensors: number;
  /** Most dimensions one shape may have. */
  readonly maxRank: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  // 2^31 - 1 elements: larger than any typed array a JS engine will make.
  maxElements: 2 ** 31 - 1,
  maxTensors: 1024,
  maxRank: 32,
};

/** Limits filled in from the defaults; complete ones (what servers pass every time) as they are. */
export function completeLimits(limits: Partial<DecodeLimits> | undefined): DecodeLimits {
  if (!limits) return DEFAULT_DECODE_LIMITS;
  if (limits.maxElements !== undefined && limits.maxTensors !== undefined && limits.maxRank !== undefined) {
    return limits as DecodeLimits;
  }
  return { ...DEFAULT_DECODE_LIMITS, ...limits };
}

/**
 * The number of elements a shape holds, or -1 past `max`: checked at every step, so an early
 * huge product cannot hide behind a later zero.
 */
export function countWithin(shape: readonly number[], max: number): number {
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > max) return -1;
  }
  return count;
}
