/**
 * The one dtype table: GraphPipe wire enum <-> dtype name <-> typed-array constructor.
 * Float16 has no portable typed array, so its raw IEEE bits travel as Uint16Array. `bool` (one
 * byte per element, 0 or 1, in a Uint8Array) is carried by the Open Inference Protocol; GraphPipe's
 * wire has no bool type, so there a bool tensor travels as uint8, byte for byte.
 */

export type NumericDType =
  | 'uint8'
  | 'int8'
  | 'uint16'
  | 'int16'
  | 'uint32'
  | 'int32'
  | 'uint64'
  | 'int64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'bool';
export type DType = NumericDType | 'string';

/** The typed array (or string list) that holds a tensor's elements, by dtype. */
export interface DataTypeMap {
  uint8: Uint8Array;
  int8: Int8Array;
  uint16: Uint16Array;
  int16: Int16Array;
  uint32: Uint32Array;
  int32: Int32Array;
  uint64: BigUint64Array;
  int64: BigInt64Array;
  float16: Uint16Array;
  float32: Float32Array;
  float64: Float64Array;
  /** One byte per element: 0 (false) or 1 (true). */
  bool: Uint8Array;
  /** Each element is UTF-8 text or raw bytes; decoders return raw bytes (the wire allows any bytes). */
  string: ReadonlyArray<string | Uint8Array>;
}

export type TypedArray = DataTypeMap[NumericDType];

export interface TypedArrayConstructor<T extends TypedArray = TypedArray> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** GraphPipe's `Type` enum, as on the wire. */
export const WireType = {
  Null: 0,
  Uint8: 1,
  Int8: 2,
  Uint16: 3,
  Int16: 4,
  Uint32: 5,
  Int32: 6,
  Uint64: 7,
  Int64: 8,
  Float16: 9,
  Float32: 10,
  Float64: 11,
  String: 12,
} as const;

interface DTypeInfo {
  readonly dtype: DType;
  readonly wire: number;
  /** Bytes per element; 0 for strings, which have no fixed size. */
  readonly size: number;
  readonly array: TypedArrayConstructor | undefined;
  /** False for dtypes GraphPipe's wire lacks, which travel there as the wire type above. */
  readonly graphpipe: boolean;
}

const TABLE: readonly DTypeInfo[] = [
  { dtype: 'uint8', wire: WireType.Uint8, size: 1, array: Uint8Array, graphpipe: true },
  { dtype: 'int8', wire: WireType.Int8, size: 1, array: Int8Array, graphpipe: true },
  { dtype: 'uint16', wire: WireType.Uint16, size: 2, array: Uint16Array, graphpipe: true },
  { dtype: 'int16', wire: WireType.Int16, size: 2, array: Int16Array, graphpipe: true },
  { dtype: 'uint32', wire: WireType.Uint32, size: 4, array: Uint32Array, graphpipe: true },
  { dtype: 'int32', wire: WireType.Int32, size: 4, array: Int32Array, graphpipe: true },
  { dtype: 'uint64', wire: WireType.Uint64, size: 8, array: BigUint64Array, graphpipe: true },
  { dtype: 'int64', wire: WireType.Int64, size: 8, array: BigInt64Array, graphpipe: true },
  { dtype: 'float16', wire: WireType.Float16, size: 2, array: Uint16Array, graphpipe: true },
  { dtype: 'float32', wire: WireType.Float32, size: 4, array: Float32Array, graphpipe: true },
  { dtype: 'float64', wire: WireType.Float64, size: 8, array: Float64Array, graphpipe: true },
  { dtype: 'string', wire: WireType.String, size: 0, array: undefined, graphpipe: true },
  { dtype: 'bool', wire: WireType.Uint8, size: 1, array: Uint8Array, graphpipe: false },
];

const BY_NAME = new Map<string, DTypeInfo>(TABLE.map((t) => [t.dtype, t]));
// Indexed by wire number: a plain array lookup on the decode hot path.
const BY_WIRE: (DTypeInfo | undefined)[] = [];
for (const t of TABLE) if (t.graphpipe) BY_WIRE[t.wire] = t;

/** GraphPipe's dtypes, in wire order: the ones its wire carries as themselves. */
export const DTYPES: readonly DType[] = TABLE.filter((t) => t.graphpipe).map((t) => t.dtype);

/** Every dtype a tensor may have: GraphPipe's, and `bool` (which the Open Inference Protocol carries). */
export const ALL_DTYPES: readonly DType[] = TABLE.map((t) => t.dtype);

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && BY_NAME.has(value);
}

/** The dtype for a wire `Type` number, or undefined for Null and unknown numbers. */
export function dtypeFromWire(wire: number): DType | undefined {
  return BY_WIRE[wire]?.dtype;
}

/** The wire `Type` a dtype travels as on GraphPipe's wire (`bool` as Uint8). */
export function wireFromDType(dtype: DType): number {
  return info(dtype).wire;
}

/** Bytes per element (0 for 'string'). */
export function elementSize(dtype: DType): number {
  return info(dtype).size;
}

export function typedArrayFor<T extends NumericDType>(dtype: T): TypedArrayConstructor<DataTypeMap[T]> {
  return info(dtype).array as TypedArrayConstructor<DataTypeMap[T]>;
}

function info(dtype: DType): DTypeInfo {
  const found = BY_NAME.get(dtype);
  if (!found) throw new TypeError(`unknown dtype "${String(dtype)}"; expected one of ${ALL_DTYPES.join(', ')}`);
  return found;
}
