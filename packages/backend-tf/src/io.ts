/**
 * Loads model.json and its weight shards from a local directory with plain fs, because tfjs's own
 * file:// handler lives in tfjs-node, which is optional here.
 */
import { readFile } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import type { io } from '@tensorflow/tfjs';

export const MODEL_JSON = 'model.json';

export async function readModelJson(dir: string, file = MODEL_JSON): Promise<io.ModelJSON> {
  return JSON.parse(await readFile(join(dir, file), 'utf8')) as io.ModelJSON;
}

/** A LoadHandler for `tf.loadLayersModel` / `tf.loadGraphModel`, given an already-parsed model.json. */
export function fileLoadHandler(dir: string, modelJson: io.ModelJSON, tfio: typeof io): io.IOHandler {
  return {
    load: () =>
      tfio.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const shards = await Promise.all(manifest.flatMap((group) => group.paths).map((path) => readShard(dir, path)));
        return [specs, shards];
      }),
  };
}

async function readShard(dir: string, path: string): Promise<ArrayBuffer> {
  const file = join(dir, path);
  // model.json names its shards; a path leaving the model directory is a broken or hostile file.
  const rel = relative(dir, file);
  if (rel.startsWith('..') || isAbsolute(rel))
    throw new Error(`weight shard "${path}" is outside the model directory ${dir}`);
  const bytes = await readFile(file);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
