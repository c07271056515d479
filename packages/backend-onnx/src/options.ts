/** The options of createOnnxBackend and the onnxruntime session options they make. */

import { checkedConcurrency, type NameOverrides } from '@graphpipe/onnx-common';
import type { InferenceSession } from 'onnxruntime-node';

export interface OnnxBackendOptions extends NameOverrides {
  /** Threads one operator may use. onnxruntime's default: one per physical core. */
  intraOpNumThreads?: number;
  /** Threads that run independent operators side by side; used only with executionMode 'parallel'. */
  interOpNumThreads?: number;
  /** 'sequential' (the default) or 'parallel' execution of independent graph branches. */
  executionMode?: 'sequential' | 'parallel';
  /** Graph rewrites at load time. Default 'all'. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Where to run: 'cpu' (the default), or 'cuda' (onnxruntime's CUDA provider, with the CPU for
   * operators CUDA lacks). Loading fails, saying what to install, when the provider is missing.
   */
  device?: Device;
  /** In order of preference, e.g. ['cuda', 'cpu']; overrides `device`. Loading fails if one is not installed. */
  executionProviders?: InferenceSession.SessionOptions['executionProviders'];
  /**
   * Worker threads that each load the model and run inferences off the JavaScript thread. Default 0:
   * runs happen on the calling thread, which is fastest for tiny models but blocks the event loop
   * while a run lasts.
   */
  workers?: number;
  /**
   * With workers: how long one run may take, in milliseconds, from when a worker starts it. A run
   * that takes longer fails with DEADLINE_EXCEEDED and its worker is replaced by a new one. Default:
   * no limit. Not available without workers, where a run blocks the thread that would time it.
   */
  runTimeoutMs?: number;
  /**
   * How many inferences the server should let run at once (the backend's `concurrency`). Default
   * `workers`, or 4 without workers: onnxruntime-node then runs each on the JavaScript thread in a
   * later turn of the event loop, and with 1 only one run would start per turn.
   */
  concurrency?: number;
}

export type Device = 'cpu' | 'cuda';

/** What to install for a device onnxruntime-node cannot use here. */
export const CUDA_HINT =
  "device 'cuda' needs onnxruntime-node's CUDA provider: reinstall onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12 " +
  '(it downloads the CUDA 12 provider) on a machine with an NVIDIA driver, CUDA 12 and cuDNN 9';

export function sessionOptions(o: OnnxBackendOptions): InferenceSession.SessionOptions {
  if (o.device !== undefined && o.device !== 'cpu' && o.device !== 'cuda') {
    throw new TypeError(`device must be 'cpu' or 'cuda', got ${JSON.stringify(o.device)}`);
  }
  return {
    executionProviders: o.executionProviders ?? (o.device === 'cuda' ? ['cuda', 'cpu'] : ['cpu']),
    graphOptimizationLevel: o.graphOptimizationLevel ?? 'all',
    ...(o.executionMode === undefined ? {} : { executionMode: o.executionMode }),
    ...(o.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: o.intraOpNumThreads }),
    ...(o.interOpNumThreads === undefined ? {} : { interOpNumThreads: o.interOpNumThreads }),
  };
}

export function workersOf(o: OnnxBackendOptions): number {
  const n = o.workers ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) throw new TypeError(`workers must be a non-negative integer, got ${n}`);
  return n;
}

/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function runTimeoutOf(o: OnnxBackendOptions): number | undefined {
  const ms = o.runTimeoutMs;
  if (ms === undefined) return undefined;
  if (!(ms > 0 && ms <= MAX_TIMEOUT_MS))
    throw new TypeError(`runTimeoutMs must be above 0 and at most ${MAX_TIMEOUT_MS} (ms), got ${ms}`);
  if (workersOf(o) === 0)
    throw new TypeError('runTimeoutMs needs workers: a run on the calling thread blocks the timer that would end it');
  return ms;
}

/**
 * Runs let start at once without workers. onnxruntime-node starts each in a later turn of the event
 * loop (setImmediate) and runs it there; with 1, the next request's run could only start in the
 * turn after, one run per turn. Four per turn: 1.25-1.4x the requests/s of 1 on the Iris model,
 * while a large model blocks the loop for at most four runs.
 */
const IN_THREAD_CONCURRENCY = 4;

export function concurrencyOf(o: OnnxBackendOptions): number {
  const workers = workersOf(o);
  return checkedConcurrency(o.concurrency ?? (workers > 0 ? workers : IN_THREAD_CONCURRENCY));
}
