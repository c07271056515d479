/**
 * Loads any model format the backend serves: detects the format and hands over to its loader. A
 * LoadedModel only runs TF.js tensors; protocol conversion and validation live in tf-backend.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Engine } from './engine.js';
import { loadGraphModel } from './graph-model.js';
import { MODEL_JSON, readModelJson } from './io.js';
import { loadLayersModel } from './layers-model.js';
import type { LoadedModel, ModelFormat } from './loaded-model.js';
import { loadSavedModel, type SavedModelOptions } from './saved-model.js';

export interface LoadOptions {
  readonly savedModel?: SavedModelOptions;
}

/** Loads `path`: a model directory (model.json or saved_model.pb inside) or a model.json file. */
export async function loadModel(path: string, engine: Engine, options: LoadOptions = {}): Promise<LoadedModel> {
  const isFile = statSync(path).isFile();
  const dir = isFile ? dirname(path) : path;
  if (!isFile && existsSync(join(dir, 'saved_model.pb'))) return loadSavedModel(dir, engine, options.savedModel);
  const json = await readModelJson(dir, isFile ? basename(path) : MODEL_JSON);
  const format = detectFormat(json.format, json.modelTopology);
  return format === 'layers-model' ? loadLayersModel(dir, json, engine.tf) : loadGraphModel(dir, json, engine.tf);
}

/** Older converters wrote no `format`; then the topology tells: Keras JSON vs a GraphDef with nodes. */
function detectFormat(format: string | undefined, topology: unknown): Exclude<ModelFormat, 'saved-model'> {
  if (format === 'layers-model' || format === 'graph-model') return format;
  const t = topology as { node?: unknown; class_name?: unknown; model_config?: unknown } | null;
  if (Array.isArray(t?.node)) return 'graph-model';
  if (t?.class_name !== undefined || t?.model_config !== undefined) return 'layers-model';
  throw new Error(
    `unrecognised model.json: format "${format ?? ''}" and a topology that is neither a layers nor a graph model`,
  );
}
