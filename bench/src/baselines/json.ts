/** The seed's JSON codec: tensors as arrays of numbers (`JSON.stringify(Array.from(data))`). */

export interface JsonTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export function toJson(shape: readonly number[], data: Float32Array): string {
  return JSON.stringify({ shape, data: Array.from(data) });
}

/** JSON.parse, then the numbers into a Float32Array, the form a model (and our decoder) hands over. */
export function fromJson(text: string): JsonTensor {
  const parsed = JSON.parse(text) as { shape: number[]; data: number[] };
  return { shape: parsed.shape, data: Float32Array.from(parsed.data) };
}
