import { isGraphPipeError } from '@graphpipe/protocol';
import { expect, it } from 'vitest';
import { createTfBackend } from '../src/index.js';
import { rejection, modelPath } from '@graphpipe/test-utils';

it("device 'cuda' without native TensorFlow for CUDA fails at load, saying what to install", async () => {
  const err = await rejection(createTfBackend(modelPath('tf-iris'), { device: 'cuda' }));
  expect(isGraphPipeError(err) && err.code).toBe('UNAVAILABLE');
  expect((err as Error).message).toMatch(
    /^device 'cuda' needs native TensorFlow with CUDA: npm install @tensorflow\/tfjs-node-gpu/,
  );
  // It fixed no engine: a model without a device still loads, on the engine available here.
  const backend = await createTfBackend(modelPath('tf-iris'));
  expect(['wasm', 'cpu']).toContain(backend.engine.kind);
  await backend.close?.();
});
