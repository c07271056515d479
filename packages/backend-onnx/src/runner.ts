/** Where the backend's runs happen: on the calling thread (this file) or in workers (worker-runner.ts). */
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { runSession } from './run-session.js';

/** An output as a runner hands it back: an onnxruntime tensor, or its data and dims sent from a worker. */
export type RunResults = Readonly<Record<string, Pick<OrtTensor, 'dims' | 'data'>>>;

export interface Runner {
  /** Runs happen on other threads, where inputs in shared memory arrive without a copy. */
  readonly offThread: boolean;
  /** Rejects with onnxruntime's error as is, or with a GraphPipeError when the run never reached it. */
  run(feeds: Readonly<Record<string, OrtTensor>>, fetched: readonly string[], signal: AbortSignal): Promise<RunResults>;
  close(): Promise<void>;
}

/** Runs on the calling thread: no copies and no messaging, but onnxruntime-node blocks the event loop meanwhile. */
export function inThreadRunner(session: InferenceSession): Runner {
  return {
    offThread: false,
    run: (feeds, fetched) => runSession(session, feeds, fetched),
    close: () => session.release(),
  };
}
