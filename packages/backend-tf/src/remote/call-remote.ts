import type { RemoteModel } from '@graphpipe/client';
import { GraphPipeError } from '@graphpipe/protocol';
import type { Tensor as TfTensor } from '@tensorflow/tfjs';
import { fromTf, tfDTypeFor, toTf } from '../dtypes.js';
import type { Tf } from '../engine.js';

export interface RemoteCallOptions {
  /** Names for the input tensors, by position. Default: the remote model's default inputs. */
  readonly inputNames?: readonly string[];
  /** Outputs wanted, in order. Default: the remote model's default outputs. */
  readonly outputNames?: readonly string[];
  /** GraphPipe's opaque per-request config, passed to the remote model. */
  readonly config?: string;
  /** Cancels the call in flight. */
  readonly signal?: AbortSignal;
}

/**
 * Sends TF.js tensors to a GraphPipe model and returns its answers as new TF.js tensors (the
 * caller disposes them). Answers TF.js cannot hold (int64, float64, ...) are refused, not narrowed.
 */
export async function callRemote(
  tf: Tf,
  model: RemoteModel,
  inputs: readonly TfTensor[],
  options: RemoteCallOptions,
): Promise<TfTensor[]> {
  const tensors = await Promise.all(inputs.map(fromTf));
  const { outputs } = await model.infer(tensors, options);
  return outputs.map((t, i) => {
    const dtype = tfDTypeFor(t.dtype);
    if (!dtype) {
      const name = options.outputNames?.[i] ?? `output ${i}`;
      throw new GraphPipeError(
        'INVALID_ARGUMENT',
        `${model.url} answered ${name} as ${t.dtype}, which TF.js cannot hold; ask for another output or serve it as float32/int32`,
      );
    }
    return toTf(tf, t, dtype);
  });
}
