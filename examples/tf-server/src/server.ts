import { createTfBackend } from '@graphpipe/backend-tf';
import { serve, type ServeOptions } from '@graphpipe/server-core/node';
import { fileURLToPath } from 'node:url';

export const DEFAULT_MODEL = fileURLToPath(new URL('../../../models/tf-iris/', import.meta.url));

/**
 * A TensorFlow.js model server: the engine is chosen automatically (native TensorFlow when
 * installed, else wasm) and said at startup; TF.js runs on the JS thread, so one inference at
 * a time with a short queue.
 */
export async function startTfServer(model = DEFAULT_MODEL, options: ServeOptions = {}) {
  const backend = await createTfBackend(model, { engine: 'auto' });
  const server = await serve(backend, { concurrency: 1, maxQueue: 32, ...options });
  return { server, engine: backend.engine.description };
}
