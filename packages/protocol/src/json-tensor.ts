import { type DType, isDType, type NumericDType, typedArrayFor } from './dtype.js';
import { GraphPipeError } from './errors.js';
import { utf8Values } from './string-elements.js';
import { type Tensor, tensor } from './tensor.js';

/** A tensor as plain JSON: its dtype, its shape and its values in row-major order. */
export interface JsonTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Numbers; 64-bit integers as decimal strings (exact); true/false for bool; text for String tensors. */
  readonly data: readonly (number | string | boolean)[];
}

/**
 * A tensor from JSON: either a nested array, whose nesting gives the shape, or
 * {"dtype": "int64", "shape": [2], "data": [1, 2]}. A nested array takes `dtype` when given, else
 * float32 (a String tensor when every value is a string, a bool one when every value is true or
 * false). 64-bit integers may be strings, so that values beyond 2^53 stay exact.
 */
export function tensorFromJson(value: unknown, dtype?: DType): Tensor {
  if (Array.isArray(value)) {
    const shape = nestedShape(value);
    const flat = value.flat(Infinity) as unknown[];
    if (dtype === 'string' || (dtype === undefined && flat.length > 0 && flat.every((v) => typeof v === 'string'))) {
      return tensor(flat.map(String), shape, 'string');
    }
    const allBool = dtype === undefined && flat.length > 0 && flat.every((v) => typeof v === 'boolean');
    return fromNumbers(dtype ?? (allBool ? 'bool' : 'float32'), shape, flat);
  }
  const spec = value as { dtype?: unknown; shape?: unknown; data?: unknown } | null;
  if (!spec || typeof spec !== 'object' || !Array.isArray(spec.data)) {
    throw invalid('a JSON tensor is a nested array or {"dtype", "shape", "data"}');
  }
  const declared = spec.dtype ?? dtype ?? 'float32';
  if (!isDType(declared)) throw invalid(`unknown dtype ${JSON.stringify(declared)}`);
  const flat = (spec.data as unknown[]).flat(Infinity);
  const shape = Array.isArray(spec.shape) ? (spec.shape as number[]) : nestedShape(spec.data as unknown[]);
  if (declared === 'string') return tensor(flat.map(String), shape, 'string');
  return fromNumbers(declared, shape, flat);
}

/**
 * The JSON form of a tensor (see JsonTensor), which `tensorFromJson` reads back exactly. JSON
 * holds text, so a String element that is not UTF-8 is refused (INVALID_ARGUMENT), not altered.
 */
export function tensorToJson(t: Tensor): JsonTensor {
  const data =
    t.dtype === 'string'
      ? utf8Values(t, 'String tensor', '; JSON holds only text, so save it as .npy')
      : t.dtype === 'bool'
        ? Array.from(t.data, (b) => b !== 0)
        : Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
  return { dtype: t.dtype, shape: t.shape, data };
}

/** The shape of a nested array, which must be rectangular. */
export function nestedShape(value: readonly unknown[]): number[] {
  const shape = [value.length];
  let first = value[0];
  while (Array.isArray(first)) {
    shape.push(first.length);
    first = first[0];
  }
  const check = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw invalid('nested arrays are deeper in some places than others');
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth])
      throw invalid(`nested arrays are not rectangular: expected shape [${shape.join(', ')}]`);
    for (const item of v) check(item, depth + 1);
  };
  check(value, 0);
  return shape;
}

/** Numbers (or numeric strings; true/false/0/1 for bool) as a tensor of a numeric dtype. */
export function fromNumbers(dtype: NumericDType, shape: readonly number[], values: readonly unknown[]): Tensor {
  const ArrayType = typedArrayFor(dtype);
  const wide = dtype === 'int64' || dtype === 'uint64';
  const data = new ArrayType(values.length);
  values.forEach((v, i) => {
    if (dtype === 'bool') {
      if (v !== true && v !== false && v !== 0 && v !== 1) {
        throw invalid(`element ${i} is not true, false, 0 or 1: ${JSON.stringify(v)}`);
      }
      (data as Uint8Array)[i] = Number(v);
      return;
    }
    if (typeof v !== 'number' && (typeof v !== 'string' || v.trim() === '' || Number.isNaN(Number(v)))) {
      throw invalid(`element ${i} is not a number: ${JSON.stringify(v)}`);
    }
    (data as unknown as unknown[])[i] = wide ? toBigInt(v, i) : Number(v);
  });
  return tensor(data, [...shape], dtype);
}

function toBigInt(v: number | string, i: number): bigint {
  try {
    return BigInt(v);
  } catch {
    throw invalid(`element ${i} is not a whole number: ${JSON.stringify(v)}`);
  }
}

function invalid(message: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', message);
}
