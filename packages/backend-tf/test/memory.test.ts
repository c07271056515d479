import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createTfBackend } from '../src/index.js';
import { float32 } from './helpers.js';
import { modelPath, liveContext } from '@graphpipe/test-utils';

const REQUESTS = 10_000;

describe('memory', () => {
  it.each(['tf-iris', 'tf-graph'])(`%s: no tensor outlives a request, over ${REQUESTS} requests`, async (name) => {
    const backend = await createTfBackend(modelPath(name));
    const inputName = backend.metadata.inputs[0]!.name;
    const outputs = backend.metadata.outputs.map((o) => o.name);
    const input = float32([4, 4]);
    await backend.infer({ [inputName]: input }, outputs, liveContext()); // warm-up: lazily created constants stay
    const before = tf.memory().numTensors;
    for (let i = 0; i < REQUESTS; i++) await backend.infer({ [inputName]: input }, outputs, liveContext());
    // Failed requests must clean up too.
    await backend.infer({ [inputName]: float32([4, 5]) }, outputs, liveContext()).catch(() => undefined);
    expect(tf.memory().numTensors).toBe(before);
    await backend.close?.();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });
});
