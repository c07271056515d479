/** Runs on a pool of session workers, so a long run leaves the calling thread's event loop free. */

import type { Runner, SessionIO } from '@graphpipe/onnx-common';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { WorkerPool, type WorkerPoolOptions } from './worker-pool.js';
import type { PostedTensor, WorkerInit } from './worker-protocol.js';
import { spawnSessionWorker } from './worker-script.js';

/**
 * Starts `size` workers, each loading the model, and resolves once all have; the session's inputs
 * and outputs come from the first. Rejects with a worker's load error as onnxruntime gave it.
 */
export async function startWorkers(
  source: string | Uint8Array,
  options: InferenceSession.SessionOptions,
  size: number,
  poolOptions: WorkerPoolOptions = {},
): Promise<{ runner: Runner<OrtTensor>; io: SessionIO }> {
  const init = workerInit(source, options);
  const { pool, io } = await WorkerPool.start(size, () => spawnSessionWorker(init), poolOptions);
  const runner: Runner<OrtTensor> = {
    offThread: true,
    run(feeds, fetched, signal) {
      const transfer: ArrayBuffer[] = [];
      const wire = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, posted(t, transfer)]));
      return pool.run({ feeds: wire, fetched }, transfer, signal);
    },
    close: () => pool.close(),
  };
  return { runner, io };
}

/** Model bytes go into one SharedArrayBuffer that every worker, replacements included, reads from. */
export function workerInit(source: string | Uint8Array, options: InferenceSession.SessionOptions): WorkerInit {
  if (typeof source === 'string') return { source, options };
  const shared = new SharedArrayBuffer(source.byteLength);
  new Uint8Array(shared).set(source);
  return { source: shared, options };
}

/**
 * How an input crosses to a worker. Memory in a SharedArrayBuffer is posted as is: postMessage
 * shares it, copying nothing and taking it from no one (the worker copies it for onnxruntime, which
 * refuses shared memory, so that copy at least leaves this thread). Anything else has the view's
 * own bytes copied into a buffer of their own, which is then moved (transferred). Moving the
 * input's buffer itself is never safe here: a request's tensors are views into the request body,
 * which the other tensors and the server still use; a caller may keep using its arrays; an
 * ensemble hands the same tensors to several models at once; Node's small Buffers share one pool;
 * and a moved buffer is detached for all of them. Cloning instead would copy twice and take the
 * whole underlying buffer along with each view. Strings cross as JS strings, cloned.
 */
function posted(t: OrtTensor, transfer: ArrayBuffer[]): PostedTensor {
  const { type, dims, data } = t;
  if (Array.isArray(data) || data.buffer instanceof SharedArrayBuffer) return { type, dims, data };
  const own = data.slice();
  transfer.push(own.buffer as ArrayBuffer);
  return { type, dims, data: own };
}
