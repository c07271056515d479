import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { messageOf } from '@graphpipe/protocol';
import { parse as parseYaml } from 'yaml';
import type { BatchingOptions } from '../models/batcher.js';
import type { ModelLimits } from '../models/limits.js';
import type { RowCacheOptions } from '../models/row-cache.js';

/** Which numbered versions of a model to serve. */
export type VersionPolicy =
  /** The `latest` highest numbers. */
  | { readonly latest: number }
  /** These numbers, those that exist. */
  | { readonly specific: readonly string[] }
  | 'all';

/** What an optional config beside a model may say (every field optional). */
export interface ModelConfig extends ModelLimits<false> {
  /** The name to serve it under, instead of its declared or file name. */
  readonly name?: string;
  /** Which numbered versions to serve. Default `{ latest: 1 }`. */
  readonly versions?: VersionPolicy;
  /** Passed to the backend as they are, e.g. `{ workers: 2 }` (ONNX) or `{ engine: 'wasm' }` (TF.js). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Where it runs: 'cpu' or 'cuda' (passed to the backend). Default: the server's. */
  readonly device?: 'cpu' | 'cuda';
}

const CONFIG_EXTENSIONS = ['json', 'yaml', 'yml'] as const;

/** A folder's config: `config.json`, `config.yaml` or `config.yml` inside it. */
export const FOLDER_CONFIG_NAMES = CONFIG_EXTENSIONS.map((ext) => `config.${ext}`);

/** A single file's config sits beside it: `iris.onnx` → `iris.config.yaml` (or `.json`, `.yml`). */
export const fileConfigNames = (stem: string) => CONFIG_EXTENSIONS.map((ext) => `${stem}.config.${ext}`);

/** A config file's name, which is never taken for a model (a composition) itself. */
export const isConfigFile = (name: string) => /(^|\.)config\.(json|ya?ml)$/.test(name);

const KEYS = new Set([
  'name',
  'versions',
  'options',
  'concurrency',
  'maxQueue',
  'batching',
  'cache',
  'device',
  'warmup',
]);

/** Reads and checks a config; throws an Error naming the file and the field at fault. */
export async function readModelConfig(path: string): Promise<ModelConfig> {
  const where = basename(path);
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${where}: ${firstLine(messageOf(err))}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${where}: expected a mapping of settings`);
  const raw = doc as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) throw new Error(`${where}: unknown setting "${key}"; the settings are ${[...KEYS].join(', ')}`);
  }
  const config: { -readonly [K in keyof ModelConfig]: ModelConfig[K] } = {};
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string') throw new Error(`${where}: name must be a string`);
    config.name = raw.name;
  }
  if (raw.versions !== undefined) config.versions = versionPolicy(raw.versions, where);
  if (raw.options !== undefined) {
    if (typeof raw.options !== 'object' || raw.options === null || Array.isArray(raw.options))
      throw new Error(`${where}: options must be a mapping (passed to the backend)`);
    config.options = raw.options as Record<string, unknown>;
  }
  if (raw.concurrency !== undefined) config.concurrency = wholeNumber(raw.concurrency, 1, `${where}: concurrency`);
  if (raw.maxQueue !== undefined) config.maxQueue = wholeNumber(raw.maxQueue, 0, `${where}: maxQueue`);
  if (raw.batching !== undefined) config.batching = batching(raw.batching, where);
  if (raw.cache !== undefined) config.cache = cache(raw.cache, where);
  if (raw.warmup !== undefined) config.warmup = wholeNumber(raw.warmup, 0, `${where}: warmup`);
  if (raw.device !== undefined) {
    if (raw.device !== 'cpu' && raw.device !== 'cuda') throw new Error(`${where}: device must be cpu or cuda`);
    config.device = raw.device;
  }
  return config;
}

function versionPolicy(value: unknown, where: string): VersionPolicy {
  const expected = `${where}: versions must be "all", { latest: <n> } or { specific: [<n>, …] }`;
  if (value === 'all') return 'all';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(expected);
  const keys = Object.keys(value);
  if (keys.length !== 1) throw new Error(expected);
  const { latest, specific } = value as { latest?: unknown; specific?: unknown };
  if (latest !== undefined) return { latest: wholeNumber(latest, 1, `${where}: versions.latest`) };
  if (Array.isArray(specific) && specific.length > 0) {
    return { specific: specific.map((v) => String(wholeNumber(v, 0, `${where}: versions.specific`))) };
  }
  throw new Error(expected);
}

function batching(value: unknown, where: string): BatchingOptions | false {
  if (value === false) return false;
  const expected = `${where}: batching must be false or { maxBatchSize: <n>, maxDelayMs: <ms> }`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(expected);
  const { maxBatchSize, maxDelayMs = 2, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new Error(expected);
  return {
    maxBatchSize: wholeNumber(maxBatchSize, 1, `${where}: batching.maxBatchSize`),
    maxDelayMs: wholeNumber(maxDelayMs, 0, `${where}: batching.maxDelayMs`),
  };
}

function cache(value: unknown, where: string): RowCacheOptions | false {
  if (value === false) return false;
  const expected = `${where}: cache must be false or { maxMb: <n> }`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(expected);
  const { maxMb, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new Error(expected);
  return { maxBytes: wholeNumber(maxMb, 1, `${where}: cache.maxMb`) * 1024 * 1024 };
}

function wholeNumber(value: unknown, min: number, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new Error(`${what} must be a whole number of at least ${min}, got ${JSON.stringify(value)}`);
  return value;
}

/** Its first line: a YAML or JSON parser's message goes on to quote the text. */
function firstLine(message: string): string {
  return message.split('\n')[0]!;
}

/** The versions a policy picks from those present, in ascending order. */
export function selectVersions(present: readonly string[], policy: VersionPolicy = { latest: 1 }): string[] {
  const ascending = [...present].sort((a, b) => Number(a) - Number(b));
  if (policy === 'all') return ascending;
  if ('latest' in policy) return ascending.slice(-policy.latest);
  return ascending.filter((v) => policy.specific.includes(v));
}
