/**
 * The dtype policy, both ways. TF.js has float32, int32, bool, string and complex64; GraphPipe has
 * no bool and no complex. bool travels as uint8 (0/1). complex64 models are refused at load time.
 * A request must use exactly the declared GraphPipe dtype: nothing is converted silently (see README).
 */
import { GraphPipeError, type DType, type Tensor } from '@graphpipe/protocol';
import type { DataType, Tensor as TfTensor } from '@tensorflow/tfjs';
import type { Tf } from './engine.js';

const TO_GRAPHPIPE: Partial<Record<DataType, DType>> = {
  float32: 'float32',
  int32: 'int32',
  bool: 'uint8',
  string: 'string',
};

/** For inputs whose dtype the model leaves open: the TF.js dtype a request dtype becomes. */
const FROM_GRAPHPIPE: Partial<Record<DType, DataType>> = { float32: 'float32', int32: 'int32', string: 'string' };

export function tfDTypeFor(dtype: DType): DataType | undefined {
  return FROM_GRAPHPIPE[dtype];
}

/** TensorFlow's DT_* names, as graph-model signatures carry them, narrowed exactly as the TF.js converter runs them. */
const FROM_TF_PROTO: Readonly<Record<string, DataType>> = {
  DT_FLOAT: 'float32',
  DT_HALF: 'float32',
  DT_DOUBLE: 'float32',
  DT_INT32: 'int32',
  DT_INT64: 'int32',
  DT_INT8: 'int32',
  DT_UINT8: 'int32',
  DT_BOOL: 'bool',
  DT_STRING: 'string',
  DT_COMPLEX64: 'complex64',
  DT_COMPLEX128: 'complex64',
};

export function tfDTypeFromProto(name: string | undefined): DataType | undefined {
  return name === undefined ? undefined : FROM_TF_PROTO[name];
}

/** The GraphPipe dtype clients send for a TF.js dtype; throws for dtypes GraphPipe cannot carry. */
export function graphPipeDType(dtype: DataType, what: string): DType {
  const mapped = TO_GRAPHPIPE[dtype];
  if (!mapped) throw new Error(`${what} has TF.js dtype ${dtype}, which GraphPipe cannot carry`);
  return mapped;
}

const encoder = new TextEncoder();

/** A TF.js tensor holding a request tensor whose dtype the caller has already checked. */
export function toTf(tf: Tf, t: Tensor, dtype: DataType): TfTensor {
  if (t.dtype === 'string') {
    return tf.tensor(
      t.data.map((v) => (typeof v === 'string' ? encoder.encode(v) : v)),
      [...t.shape],
      'string',
    );
  }
  // Any non-zero byte is true; normalised so kernels never see other values in a bool tensor.
  if (dtype === 'bool')
    return tf.tensor(
      (t.data as Uint8Array).map((v) => (v === 0 ? 0 : 1)),
      [...t.shape],
      'bool',
    );
  return tf.tensor(t.data as Float32Array | Int32Array, [...t.shape], dtype);
}

/** Copies a TF.js tensor out as a protocol tensor (the TF.js tensor stays the caller's to dispose). */
export async function fromTf(t: TfTensor): Promise<Tensor> {
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'float32':
      return { dtype: 'float32', shape, data: exactly(Float32Array, await t.data()) };
    case 'int32':
      return { dtype: 'int32', shape, data: exactly(Int32Array, await t.data()) };
    case 'bool':
      return { dtype: 'uint8', shape, data: exactly(Uint8Array, await t.data()) };
    // bytes(): raw bytes, since the wire allows any bytes and not every string output is UTF-8.
    case 'string':
      return { dtype: 'string', shape, data: (await t.bytes()) as Uint8Array[] };
    default:
      throw new GraphPipeError('INTERNAL', `the model produced a ${t.dtype} tensor, which GraphPipe cannot carry`);
  }
}

/** data() is typed as any TypedArray; copy only when a backend returned another array type than the dtype implies. */
function exactly<T extends Float32Array | Int32Array | Uint8Array>(
  Ctor: { new (n: number): T; from(a: ArrayLike<number>): T },
  data: ArrayLike<number> | unknown,
): T {
  return data instanceof Ctor ? data : Ctor.from(data as ArrayLike<number>);
}
