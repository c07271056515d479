/** Our dtypes <-> onnxruntime tensor types. The names coincide for every type both sides have, bool included. */
import { ALL_DTYPES, type DType } from '@graphpipe/protocol';

const KNOWN_TYPES: ReadonlySet<string> = new Set(ALL_DTYPES);

/** Our dtype for an ONNX tensor type, or undefined when we have none (int4, bfloat16, …). */
export function dtypeFromOnnx(onnxType: string): DType | undefined {
  return KNOWN_TYPES.has(onnxType) ? (onnxType as DType) : undefined;
}
