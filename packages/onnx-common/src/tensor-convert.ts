/** Protocol tensors <-> onnxruntime tensors, sharing the typed arrays rather than copying them. */
import { type DType, type Tensor, textValues } from '@graphpipe/protocol';
import type { OrtOutput, OrtTensorConstructor, OrtTensorLike } from './ort-types.js';

/**
 * An onnxruntime tensor made with the runtime's own `Tensor` class; the type names coincide.
 * `name` is the input's, for errors.
 */
export function toOrtTensor<T extends OrtTensorLike>(OrtTensor: OrtTensorConstructor<T>, t: Tensor, name: string): T {
  const dims = t.shape as number[];
  // onnxruntime's string tensors are JS strings, cut at NUL: elements it cannot carry exactly are refused.
  const data = t.dtype === 'string' ? textValues(t, `input ${JSON.stringify(name)}`) : t.data;
  return new OrtTensor(t.dtype as never, data as never, dims);
}

/** `dtype` is the output's dtype from the metadata. */
export function fromOrtTensor(t: OrtOutput, dtype: DType): Tensor {
  const shape = [...t.dims];
  const data = t.data;
  // Where a runtime has Float16Array, onnxruntime returns one; GraphPipe carries the raw bits as Uint16Array.
  if (dtype === 'float16' && !(data instanceof Uint16Array)) {
    const half = data as ArrayBufferView & { length: number };
    return { dtype, shape, data: new Uint16Array(half.buffer, half.byteOffset, half.length) };
  }
  return { dtype, shape, data } as Tensor;
}
