/** The messages between the pool (worker-pool.ts) and a session worker (session-worker.ts). */

import type { SessionIO } from '@graphpipe/onnx-common';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';

/** workerData: the model (bytes shared by all workers) and the session options. */
export interface WorkerInit {
  readonly source: string | SharedArrayBuffer;
  readonly options: InferenceSession.SessionOptions;
}

/** A tensor as it crosses threads; strings travel as JS strings. */
export interface PostedTensor {
  readonly type: OrtTensor.Type;
  readonly dims: readonly number[];
  readonly data: OrtTensor.DataType;
}

export interface RunRequest {
  readonly feeds: Readonly<Record<string, PostedTensor>>;
  readonly fetched: readonly string[];
}

export type RunOutputs = Readonly<Record<string, PostedTensor>>;

export type WorkerReply =
  /** The session has loaded; `io` describes the model, so the calling thread need not load it too. */
  | { readonly kind: 'ready'; readonly io: SessionIO }
  | { readonly kind: 'done'; readonly outputs: RunOutputs }
  | { readonly kind: 'failed'; readonly message: string };
