/**
 * The Open Inference Protocol's datatypes and our dtypes, one to one: GraphPipe's dtypes map by
 * name (String is BYTES) and BOOL is our `bool`. FP16 travels only as binary data (it has no JSON
 * form); BF16 has no dtype here, so a request using it is refused with a message saying so.
 */
import type { DType } from '../dtype.js';
import { GraphPipeError } from '../errors.js';

export type Datatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

const BY_DTYPE: Readonly<Record<DType, Datatype>> = {
  bool: 'BOOL',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
};

const BY_DATATYPE = new Map<string, DType>(Object.entries(BY_DTYPE).map(([dtype, dt]) => [dt, dtype as DType]));

/** Every datatype, in the order the protocol lists them. */
export const DATATYPES: readonly Datatype[] = Object.values(BY_DTYPE);

/** The datatype of a dtype. */
export function datatypeOf(dtype: DType): Datatype {
  const datatype = BY_DTYPE[dtype];
  if (!datatype) throw new TypeError(`unknown dtype "${String(dtype)}"`);
  return datatype;
}

/** The dtype of a datatype, or undefined for names that are not ours (BF16 among them). */
export function dtypeOfDatatype(datatype: string): DType | undefined {
  return BY_DATATYPE.get(datatype);
}

/**
 * The dtype of a datatype a message names; a name we do not have is the caller's mistake. `what`
 * names the tensor in the message (made only then).
 */
export function requireDtype(datatype: unknown, what: { toString(): string }): DType {
  const dtype = typeof datatype === 'string' ? BY_DATATYPE.get(datatype) : undefined;
  if (dtype) return dtype;
  if (datatype === 'BF16') {
    throw new GraphPipeError('INVALID_ARGUMENT', `${what}: datatype BF16 is not supported; send FP32 or FP16`);
  }
  throw new GraphPipeError(
    'INVALID_ARGUMENT',
    `${what}: unknown datatype ${JSON.stringify(datatype)}; expected one of ${DATATYPES.join(', ')}`,
  );
}
