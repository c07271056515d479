import { elementCount, GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Backend } from '@graphpipe/server-core';

export interface ArgmaxOptions {
  /** Default 'probabilities'. */
  readonly input?: string;
  /** Default 'label'. */
  readonly output?: string;
  /** Default 'int64', as ONNX's ArgMax and numpy answer. */
  readonly dtype?: 'int64' | 'int32';
  /** The input's shape, if known, so the metadata can declare the output's (the input's without its last axis). */
  readonly shape?: readonly number[];
}

/** The index of the largest value along the last axis: class labels from scores, as a pipeline stage. */
export function createArgmaxBackend(options: ArgmaxOptions = {}): Backend {
  const { input = 'probabilities', output = 'label', dtype = 'int64', shape } = options;
  return {
    metadata: {
      name: 'argmax',
      inputs: [{ name: input, shape }],
      outputs: [{ name: output, dtype, shape: shape?.slice(0, -1) }],
    },
    async infer(inputs) {
      return { [output]: argmax(inputs[input]!, input, dtype) };
    },
  };
}

function argmax(t: Tensor, name: string, dtype: 'int64' | 'int32'): Tensor {
  if (t.shape.length === 0 || t.shape.at(-1) === 0 || t.dtype === 'string' || t.dtype === 'float16') {
    throw new GraphPipeError(
      'INVALID_ARGUMENT',
      `argmax needs a numeric tensor of rank 1 or more with a non-empty last axis for "${name}", got ${t.dtype}[${t.shape.join(', ')}]`,
    );
  }
  const width = t.shape.at(-1)!;
  const data = t.data as ArrayLike<number>;
  const best = Array.from({ length: elementCount(t.shape.slice(0, -1)) }, (_, r) => {
    let j = 0;
    for (let k = 1; k < width; k++) if (data[r * width + k]! > data[r * width + j]!) j = k;
    return j;
  });
  const shape = t.shape.slice(0, -1);
  return dtype === 'int64'
    ? { dtype, shape, data: BigInt64Array.from(best, BigInt) }
    : { dtype, shape, data: Int32Array.from(best) };
}
