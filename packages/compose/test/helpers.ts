/** Shared by the tests: held-out Iris rows, and servers that are closed after each test. */
import { readFileSync } from 'node:fs';
import { type Tensor, tensor } from '@graphpipe/protocol';
import type { Backend } from '@graphpipe/server-core';
import { type ServeOptions, serve, type ServerHandle } from '@graphpipe/server-core/node';
import { closeAfter, modelPath } from '@graphpipe/test-utils';

const testSet = JSON.parse(readFileSync(modelPath('iris-test-set.json'), 'utf8')) as {
  features: number[][];
  labels: number[];
};

/** `count` held-out rows spread over the three classes, as one [count, 4] float32 tensor. */
export function irisRows(count = 6): { features: Tensor; labels: number[] } {
  const picks = Array.from({ length: count }, (_, i) => Math.floor((i * testSet.features.length) / count));
  return {
    features: tensor(Float32Array.from(picks.flatMap((i) => testSet.features[i]!)), [count, 4]),
    labels: picks.map((i) => testSet.labels[i]!),
  };
}

const closing = closeAfter('each');

/** Serves a backend on a free loopback port until the test ends. */
export async function start(backend: Backend, options: ServeOptions = {}): Promise<ServerHandle> {
  return closing(await serve(backend, { port: 0, logger: false, ...options }));
}

/** Resolves when the signal aborts. */
export const aborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));

export function floats(t: Tensor): number[] {
  return Array.from(t.data as Float32Array);
}
