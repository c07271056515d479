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
