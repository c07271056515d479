import { readFileSync } from 'node:fs';
import type { Tensor, TensorOf } from '@graphpipe/protocol';
import type { Backend } from '@graphpipe/server-core';
import { liveContext, modelPath, seededRandom, uniformFloats } from '@graphpipe/test-utils';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';

export interface IrisTestSet {
  classes: string[];
  trainSize: number;
  testSize: number;
  accuracy: number;
  features: number[][];
  labels: number[];
}

export const irisTestSet = (): IrisTestSet =>
  JSON.parse(readFileSync(modelPath('iris-test-set.json'), 'utf8')) as IrisTestSet;

/** Calls infer the way the server does, with a live signal and no config. */
export function infer(backend: Backend, inputs: Record<string, Tensor>, outputs: readonly string[] = []) {
  return backend.infer(inputs, outputs, liveContext());
}

/** The same inputs run straight through onnxruntime, fetching every output: the reference results. */
export async function runDirect(
  model: string,
  inputs: Record<string, TensorOf<'float32'>>,
): Promise<Record<string, OrtTensor>> {
  const session = await InferenceSession.create(modelPath(`${model}.onnx`));
  try {
    const feeds = Object.fromEntries(
      Object.entries(inputs).map(([k, t]) => [k, new OrtTensor('float32', t.data, [...t.shape])]),
    );
    return (await session.run(feeds)) as Record<string, OrtTensor>;
  } finally {
    await session.release();
  }
}

/** Deterministic float32 test data in [-2, 2). */
export const floats = (count: number, seed: number): Float32Array => uniformFloats(seededRandom(seed), count, -2, 2);
