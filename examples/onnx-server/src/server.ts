import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { serve, type ServeOptions } from '@graphpipe/server-core/node';
import { fileURLToPath } from 'node:url';

export const DEFAULT_MODEL = fileURLToPath(new URL('../../../models/tiny-conv.onnx', import.meta.url));

/**
 * An ONNX model server with its own choices: two intra-op threads for the conv model, a small
 * wait queue (bursts get 503 rather than queueing for seconds), and 32 MiB bodies
 * (a batch of 32 images of 3×32×32 float32 is 384 KiB, so that is generous).
 */
export async function startOnnxServer(model = DEFAULT_MODEL, options: ServeOptions = {}) {
  const backend = await createOnnxBackend(model, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  return serve(backend, { maxQueue: 16, maxBodyBytes: 32 * 2 ** 20, bodyTimeoutMs: 10_000, ...options });
}
