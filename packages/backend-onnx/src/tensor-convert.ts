/** Protocol tensors <-> onnxruntime tensors, sharing the typed arrays rather than copying them. */
import { type DType, type Tensor, stringValues } from '@graphpipe/protocol';
import { Tensor as OrtTensor } from 'onnxruntime-node';
import { onnxTypeFor } from './dtype-map.js';

export function toOrtTensor(t: Tensor): OrtTensor {
  const dims = t.shape as number[];
  // onnxruntime wants JS strings; our decoder hands over raw UTF-8 bytes.
  if (t.dtype === 'string') return new OrtTensor('string', stringValues(t), dims);
  return new OrtTensor(onnxTypeFor(t.dtype), t.data, dims);
}

/** `dtype` is the output's dtype from the metadata. */
export function fromOrtTensor(t: Pick<OrtTensor, 'dims' | 'data'>, dtype: DType): Tensor {
  const shape = [...t.dims];
  const data = t.data;
  // Where a runtime has Float16Array, onnxruntime returns one; GraphPipe carries the raw bits as Uint16Array.
  if (dtype === 'float16' && !(data instanceof Uint16Array)) {
    const half = data as unknown as ArrayBufferView & { length: number };
    return { dtype, shape, data: new Uint16Array(half.buffer, half.byteOffset, half.length) };
  }
  return { dtype, shape, data } as Tensor;
}
