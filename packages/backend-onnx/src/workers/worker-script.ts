/** Starts a session worker (session-worker.ts) with the given model and options. */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './worker-protocol.js';

/**
 * Built, the worker is session-worker.js next to this module. Under vitest this module is the .ts
 * source with no .js beside it, and a worker thread does not get vitest's transform; nor does Node 20
 * apply `--import tsx` from a worker's execArgv. So the .ts file is loaded through tsx's API from a
 * one-line bootstrap ('tsx' resolves from the working directory: the workspace root under vitest).
 */
export function spawnSessionWorker(init: WorkerInit): Worker {
  const js = new URL('./session-worker.js', import.meta.url);
  if (existsSync(js)) return new Worker(js, { workerData: init });
  const ts = new URL('./session-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(ts)}, ${JSON.stringify(ts)}))`;
  return new Worker(bootstrap, { eval: true, workerData: init });
}
