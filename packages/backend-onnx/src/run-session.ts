/** One run of a session, the same on the calling thread and in a worker (session-worker.ts). */

import { resultsByName } from '@graphpipe/onnx-common';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';

// A failed run reaches the caller (and the server's log) as a GraphPipeError; onnxruntime's own
// copy of it on stderr would only repeat it, once per bad request.
const RUN_OPTIONS: InferenceSession.RunOptions = { logSeverityLevel: 4 };

/** `fetched` in the model's output order (see fetchOrder); the results are keyed by those names. */
export async function runSession(
  session: InferenceSession,
  feeds: Readonly<Record<string, OrtTensor>>,
  fetched: readonly string[],
): Promise<InferenceSession.OnnxValueMapType> {
  return resultsByName(await session.run(feeds, fetched, RUN_OPTIONS), fetched, session.outputNames);
}
