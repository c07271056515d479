import * as tf from '@tensorflow/tfjs';
import { isGraphPipeError } from '@graphpipe/protocol';
import { describe, expect, it } from 'vitest';
import { createTfBackend, type Importer, type TfBackend } from '../src/index.js';
import { modelPath, rejection, liveContext } from '@graphpipe/test-utils';

const iris = modelPath('tf-iris');

/** An importer that fails: proves a call used the process's engine without selecting one. */
const noImports: Importer = async (specifier) => {
  throw new Error(`${specifier} should not be imported once the engine is fixed`);
};

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const err = await rejection(promise);
  expect(isGraphPipeError(err) && err.code).toBe('INVALID_ARGUMENT');
  return err as Error;
}

// These steps share this file's process, whose TF.js engine they fix: they run in order.
describe('one TF.js engine per process', () => {
  const backends: TfBackend[] = [];

  it('an engine that fails to start fixes nothing', async () => {
    await expect(createTfBackend(iris, { engine: 'native' })).rejects.toThrow(/engine 'native' requested but/);
  });

  it('the first backend to start an engine fixes it, even while still loading', async () => {
    // native fails to start (it is not installed here); the cpu call, waiting on it, then selects afresh.
    const [native, cpu, wasm] = await Promise.allSettled([
      createTfBackend(iris, { engine: 'native' }),
      createTfBackend(iris, { engine: 'cpu' }),
      createTfBackend(iris, { engine: 'wasm' }),
    ]);
    expect(native.status).toBe('rejected');
    expect(cpu.status === 'fulfilled' && cpu.value.engine.kind).toBe('cpu');
    if (cpu.status === 'fulfilled') backends.push(cpu.value);
    expect(wasm.status === 'rejected' && isGraphPipeError(wasm.reason) && wasm.reason.code).toBe('INVALID_ARGUMENT');
    expect(tf.getBackend()).toBe('cpu');
  });

  it('asking for nothing, auto, or the same engine gets the fixed one', async () => {
    for (const engine of [undefined, 'auto', 'cpu'] as const) {
      const backend = await createTfBackend(iris, { engine, importer: noImports });
      backends.push(backend);
      expect(backend.engine.kind).toBe('cpu');
    }
    expect(tf.getBackend()).toBe('cpu');
  });

  it('asking for another engine is refused, naming both engines and what to do', async () => {
    for (const engine of ['wasm', 'native'] as const) {
      const err = await refusal(createTfBackend(iris, { engine, importer: noImports }));
      expect(err.message).toContain(`engine '${engine}' requested, but this process already runs TF.js on 'cpu'`);
      expect(err.message).toContain('TF.js runs one engine per process');
      expect(err.message).toContain("leave engine unset (or 'cpu') here, or serve this model from another process");
    }
    expect(tf.getBackend()).toBe('cpu');
    // The models loaded before still answer on the engine they were loaded on.
    const { probabilities } = await backends[0]!.infer(
      { features: { dtype: 'float32', shape: [1, 4], data: Float32Array.of(5.1, 3.5, 1.4, 0.2) } },
      ['probabilities'],
      liveContext(),
    );
    expect(probabilities!.shape).toEqual([1, 3]);
    for (const backend of backends) await backend.close?.();
  });
});
