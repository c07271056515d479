/** Runs on the calling thread (this file) or in workers (worker-runner.ts). */
import type { Runner } from '@graphpipe/onnx-common';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { runSession } from './run-session.js';

/** Runs on the calling thread: no copies and no messaging, but onnxruntime-node blocks the event loop meanwhile. */
export function inThreadRunner(session: InferenceSession): Runner<OrtTensor> {
  return {
    offThread: false,
    run: (feeds, fetched) => runSession(session, feeds, fetched),
    close: () => session.release(),
  };
}
