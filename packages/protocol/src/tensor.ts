import {
  type DataTypeMap,
  type DType,
  type NumericDType,
  type TypedArray,
  ALL_DTYPES,
  elementSize,
  isDType,
} from './dtype.js';

/** A tensor of one dtype: its shape (row-major) and its elements. */
export interface TensorOf<T extends DType> {
  readonly dtype: T;
  readonly shape: readonly number[];
  readonly data: DataTypeMap[T];
}

/** A tensor of any of the dtypes in T; narrowing on `dtype` narrows `data` to the matching array. */
export type TensorFor<T extends DType> = { [K in T]: TensorOf<K> }[T];

/** Any tensor. */
export type Tensor = TensorFor<DType>;

/** Element count of a shape; a scalar (shape []) has one element. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

const DTYPE_BY_ARRAY = new Map<unknown, NumericDType>([
  [Uint8Array, 'uint8'],
  [Int8Array, 'int8'],
  [Uint16Array, 'uint16'],
  [Int16Array, 'int16'],
  [Uint32Array, 'uint32'],
  [Int32Array, 'int32'],
  [BigUint64Array, 'uint64'],
  [BigInt64Array, 'int64'],
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
]);

/**
 * The dtype a typed array holds (Uint16Array reads as uint16 and Uint8Array as uint8; say 'float16'
 * or 'bool' explicitly).
 */
export function dtypeOfArray(data: TypedArray): NumericDType {
  const dtype = DTYPE_BY_ARRAY.get(data.constructor);
  if (!dtype) throw new TypeError(`unsupported array type ${data.constructor.name}`);
  return dtype;
}

/**
 * Builds a tensor and checks that the data fits the shape.
 *
 *     tensor(new Float32Array([1, 2, 3, 4]), [2, 2])
 *     tensor(['a', 'b'])                        // String tensor, shape [2]
 *     tensor(new Uint16Array(bits), [3], 'float16')
 *     tensor(new Uint8Array([1, 0]), [2], 'bool')
 *
 * The shape defaults to one dimension holding all of `data`. The data is kept, not copied.
 */
export function tensor<T extends DType = DType>(
  data: DataTypeMap[T] | readonly string[],
  shape?: readonly number[],
  dtype?: T,
): TensorFor<T> {
  const resolved = (dtype ?? (Array.isArray(data) ? 'string' : dtypeOfArray(data as TypedArray))) as T;
  if (!isDType(resolved))
    throw new TypeError(`unknown dtype "${String(resolved)}"; expected one of ${ALL_DTYPES.join(', ')}`);
  const isStrings = Array.isArray(data);
  if (isStrings !== (resolved === 'string')) {
    throw new TypeError(
      `dtype ${resolved} needs ${resolved === 'string' ? 'an array of strings or Uint8Arrays' : 'a typed array'}`,
    );
  }
  const bitsDType = resolved === 'float16' || resolved === 'bool';
  if (!isStrings && !bitsDType && dtypeOfArray(data as TypedArray) !== resolved) {
    throw new TypeError(`dtype ${resolved} does not match a ${(data as TypedArray).constructor.name}`);
  }
  if (resolved === 'float16' && !(data instanceof Uint16Array)) {
    throw new TypeError('float16 data must be a Uint16Array of raw half-precision bits');
  }
  if (resolved === 'bool' && !(data instanceof Uint8Array)) {
    throw new TypeError('bool data must be a Uint8Array of 0s and 1s');
  }
  const dims = shape ? [...shape] : [data.length];
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new TypeError(`shape [${dims.join(', ')}] has an invalid dimension ${d}`);
  }
  const count = elementCount(dims);
  if (count !== data.length) {
    throw new TypeError(`shape [${dims.join(', ')}] needs ${count} elements but the data has ${data.length}`);
  }
  return { dtype: resolved, shape: dims, data } as unknown as TensorFor<T>;
}

/**
 * True for a tensor, as opposed to a list or a record of tensors: its own `dtype` is a string
 * and its `shape` an array. (A record with an input called "dtype" holds a tensor there, not a string.)
 */
export function isTensor(value: unknown): value is Tensor {
  const v = value as Partial<Tensor> | null;
  return typeof v === 'object' && v !== null && typeof v.dtype === 'string' && Array.isArray(v.shape);
}

/** Byte length of a numeric tensor's payload on the wire. */
export function byteLength(t: Tensor): number {
  return t.dtype === 'string' ? 0 : elementCount(t.shape) * elementSize(t.dtype);
}
