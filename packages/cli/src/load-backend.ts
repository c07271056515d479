import type { Backend } from '@graphpipe/server-core';
import { loadModel } from '@graphpipe/server-core/node';

/**
 * Loads the backend that serves `path` (see server-core's model formats). The backend packages
 * are this package's optional peers, imported from here only when their kind of model is
 * served, so users install just the one they need.
 */
export function loadBackend(path: string, options: { name?: string; device?: 'cpu' | 'cuda' } = {}): Promise<Backend> {
  return loadModel(path, (name) => import(name), options);
}
