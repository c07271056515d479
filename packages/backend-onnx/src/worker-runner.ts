/** Runs on a pool of session workers, so a long run leaves the calling thread's event loop free. */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import type { SessionIO } from './metadata.js';
import type { Runner } from './runner.js';
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
): Promise<{ runner: Runner; io: SessionIO }> {
  const init = workerInit(source, options);
  const { pool, io } = await WorkerPool.start(size, () => spawnSessionWorker(init), poolOptions);
  const runner: Runner = {
    run(feeds, fetched, signal) {
      const transfer: ArrayBuffer[] = [];
      const wire = Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, ownedCopy(t, transfer)]));
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
 * An input's data copied into a buffer of its own, which is then moved to the worker. Moving the
 * original instead would detach memory others still hold: a request's tensors are views into the
 * request body. Structured cloning would copy twice (out of this thread, into the worker's) and
 * take the whole body along with each view.
 */
function ownedCopy(t: OrtTensor, transfer: ArrayBuffer[]): PostedTensor {
  if (Array.isArray(t.data)) return { type: t.type, dims: t.dims, data: t.data }; // JS strings: cloned
  const data = t.data.slice();
  transfer.push(data.buffer as ArrayBuffer);
  return { type: t.type, dims: t.dims, data };
}
