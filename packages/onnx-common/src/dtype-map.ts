/** GraphPipe dtypes <-> onnxruntime tensor types. The names coincide for every type both sides have. */
import { DTYPES, type DType } from '@graphpipe/protocol';

const GRAPHPIPE_TYPES: ReadonlySet<string> = new Set(DTYPES);

/** The GraphPipe dtype for an ONNX tensor type, or undefined when GraphPipe has none (bool, int4, bfloat16, …). */
export function dtypeFromOnnx(onnxType: string): DType | undefined {
  return GRAPHPIPE_TYPES.has(onnxType) ? (onnxType as DType) : undefined;
}

/**
 * The dtype an output of this ONNX type is sent as. Bool outputs (a byte of 0 or 1 each in
 * onnxruntime) go out as uint8 unchanged, so models with mask outputs stay servable.
 */
export function outputDTypeFromOnnx(onnxType: string): DType | undefined {
  return onnxType === 'bool' ? 'uint8' : dtypeFromOnnx(onnxType);
}
