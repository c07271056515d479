import { relative, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { keyOf } from './layout.js';

export interface RepositoryWatcher {
  close(): Promise<void>;
}

/**
 * Watches a repository directory with chokidar and calls `changed(key)` for a model once its
 * files have stopped changing for `settleMs`: a copy in progress, or an editor's save in several
 * steps, makes one reload, not several, and never one of a half-written file.
 */
export async function watchRepository(
  root: string,
  settleMs: number,
  changed: (key: string) => void,
  onError: (err: unknown) => void,
): Promise<RepositoryWatcher> {
  const timers = new Map<string, NodeJS.Timeout>();
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    // Hidden files (editors' swap files, Kubernetes' ..data links) are never models.
    ignored: (path) =>
      relative(root, path)
        .split(sep)
        .some((part) => part.startsWith('.')),
    // The repository root, a model folder, its version folders, and a TF.js model inside one.
    depth: 4,
  });
  watcher.on('all', (_event, path) => {
    const first = relative(root, path).split(sep)[0];
    if (!first) return;
    const key = keyOf(first);
    clearTimeout(timers.get(key));
    timers.set(
      key,
      setTimeout(() => {
        timers.delete(key);
        changed(key);
      }, settleMs),
    );
  });
  watcher.on('error', onError);
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    async close() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await watcher.close();
    },
  };
}
