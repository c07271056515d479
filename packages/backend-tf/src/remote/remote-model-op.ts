import { RemoteModel, type RemoteModelOptions } from '@graphpipe/client';
import type { Tensor as TfTensor } from '@tensorflow/tfjs';
import type { Tf } from '../engine.js';
import { callRemote, type RemoteCallOptions } from './call-remote.js';

export interface RemoteModelOpOptions
  extends RemoteModelOptions,
    Omit<RemoteCallOptions, 'inputNames' | 'outputNames' | 'signal'> {
  /** The remote input the tensor is sent as. Default: the model's first default input. */
  readonly inputName?: string;
  /** The remote output returned. Default: the model's first default output. */
  readonly outputName?: string;
}

/** A remote model's call: one tensor in, one tensor out; `signal` cancels this call. */
export type RemoteModelFn = (x: TfTensor, signal?: AbortSignal) => Promise<TfTensor>;

/**
 * A GraphPipe model as an async TF.js function, to use between local ops:
 *
 *     const classify = remoteModelOp(tf, 'http://127.0.0.1:9000', { outputName: 'probabilities' });
 *     const labels = (await classify(features)).argMax(-1);
 *
 * It is async because the network is: it cannot run inside a layer's synchronous `call()`.
 */
export function remoteModelOp(tf: Tf, url: string, options: RemoteModelOpOptions = {}): RemoteModelFn {
  const model = new RemoteModel(url, options);
  const { inputName, outputName, config } = options;
  return async (x, signal) => {
    const [y] = await callRemote(tf, model, [x], {
      inputNames: inputName === undefined ? undefined : [inputName],
      outputNames: outputName === undefined ? undefined : [outputName],
      config,
      signal,
    });
    return y!;
  };
}
