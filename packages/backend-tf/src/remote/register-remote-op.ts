import { RemoteModel, type RemoteModelOptions } from '@graphpipe/client';
import type { Tf } from '../engine.js';
import { callRemote, type RemoteCallOptions } from './call-remote.js';

export interface RemoteOpOptions extends RemoteModelOptions, Omit<RemoteCallOptions, 'signal'> {}

/**
 * Makes graph-model nodes with `op: opName` call a remote GraphPipe model: the node's inputs are
 * sent (named by `inputNames`), and the answers become the node's outputs (`name:0`, `name:1`, ...).
 * The op is asynchronous, so such models run with `model.executeAsync()`; `execute()` refuses
 * them. The URL is bound here rather than read from node attributes, because TF.js lower-cases
 * string attributes. Returns a function that unregisters the op.
 */
export function registerRemoteOp(tf: Tf, opName: string, url: string, options: RemoteOpOptions = {}): () => void {
  const model = new RemoteModel(url, options);
  tf.registerOp(opName, (node) => callRemote(tf, model, node.inputs, options));
  return () => tf.deregisterOp(opName);
}
