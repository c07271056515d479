/** Shared by the tests: the generated model files, and tfjs loading them on its own (without src/io.ts). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as tf from '@tensorflow/tfjs';
import type { Tensor } from '@graphpipe/protocol';
import type { InferContext } from '@graphpipe/server-core';
import { seededRandom, uniformFloats } from '@graphpipe/test-utils';

export const modelDir = (name: string) => fileURLToPath(new URL(`../../../models/${name}`, import.meta.url));

export const options = (): InferContext => ({ config: '', signal: new AbortController().signal });

/** The model's artifacts straight from disk; every model here has one shard, weights.bin. */
export function artifactsOf(name: string): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(`${modelDir(name)}/model.json`, 'utf8')) as tf.io.ModelJSON;
  const bin = readFileSync(`${modelDir(name)}/weights.bin`);
  return {
    format: json.format,
    modelTopology: json.modelTopology,
    signature: json.signature,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
  };
}

/** Deterministic float32 test data in [-2, 6). */
export const floats = (count: number, seed = 1): Float32Array => uniformFloats(seededRandom(seed), count, -2, 6);

export function float32(shape: number[], seed?: number): Tensor {
  return {
    dtype: 'float32',
    shape,
    data: floats(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
  };
}
