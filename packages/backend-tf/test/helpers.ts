/** Shared by the tests: the generated model files, and tfjs loading them on its own (without src/io.ts). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { Tensor } from '@graphpipe/protocol';
import { modelPath, seededRandom, uniformFloats } from '@graphpipe/test-utils';

/** The part of tf-graph's model.json the tests change. */
interface GraphJson {
  signature?: { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
}

/** A copy of models/tf-graph in a temporary directory, its model.json changed by `edit`. */
export function tfGraphWith(edit: (json: GraphJson) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'tf-graph-'));
  const json = JSON.parse(readFileSync(join(modelPath('tf-graph'), 'model.json'), 'utf8')) as GraphJson;
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'weights.bin'), readFileSync(join(modelPath('tf-graph'), 'weights.bin')));
  return dir;
}

/** The model's artifacts straight from disk; every model here has one shard, weights.bin. */
export function artifactsOf(name: string): tf.io.ModelArtifacts {
  const json = JSON.parse(readFileSync(`${modelPath(name)}/model.json`, 'utf8')) as tf.io.ModelJSON;
  const bin = readFileSync(`${modelPath(name)}/weights.bin`);
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
