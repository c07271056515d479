import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { isModelName, MODEL_NAME_RULE } from '@graphpipe/protocol';
import { FOLDER_CONFIG_NAMES, fileConfigNames, isConfigFile, type ModelConfig, readModelConfig } from './config.js';
import { importOptional, type PackageImporter, recogniseModel } from './model-formats.js';

/**
 * One model of a repository directory, as found on disk: a model file (`iris.onnx`), a model
 * folder (`tf-iris/` with model.json), or a folder of numbered versions (`iris/1/model.onnx`).
 */
export interface RepositoryEntry {
  /** Its file's stem or its folder's name: what the repository and its watcher know it by. */
  readonly key: string;
  /** What it is on disk, for messages: `iris.onnx`, `iris/`. */
  readonly label: string;
  /** The name it is served under: its config's, else its declared one, else `key`. */
  readonly name: string;
  readonly config: ModelConfig;
  /** The config file, when it has one. */
  readonly configPath?: string;
  /** True when its versions are numbered folders; false: one model, served as version 1. */
  readonly numbered: boolean;
  /** Each version present: its numbered folder (see locateModel), or the model itself (version 1). */
  readonly versions: ReadonlyMap<string, string>;
  /** Why it cannot be served at all (a bad config, a link out of the repository, a bad name). */
  readonly problem?: string;
}

/** Where a version's model is, or why it cannot be served. */
export type ModelLocation = { readonly path: string } | { readonly problem: string };

/** The extensions a model file's stem is taken without (`iris.onnx` → `iris`). */
const MODEL_FILE = /\.(onnx|ort|json|ya?ml)$/;

/** The key of a top-level file or folder: `iris.onnx`, `iris.config.yaml` and `iris/` are all `iris`. */
export function keyOf(name: string): string {
  return name.replace(/\.config\.(json|ya?ml)$/, '').replace(MODEL_FILE, '');
}

const hidden = (name: string) => name.startsWith('.');

/** Every model in the directory, by key. */
export async function scanRepository(root: string, importer: PackageImporter): Promise<Map<string, RepositoryEntry>> {
  const listing = await listRoot(root);
  const keys = [...new Set(listing.items.map((d) => keyOf(d.name)))].sort();
  const entries = new Map<string, RepositoryEntry>();
  for (const key of keys) {
    const entry = await entryFrom(listing, key, importer);
    if (entry) entries.set(key, entry);
  }
  return entries;
}

/** The model under `key`, or undefined when there is none (any more). */
export async function readEntry(
  root: string,
  key: string,
  importer: PackageImporter,
): Promise<RepositoryEntry | undefined> {
  return entryFrom(await listRoot(root), key, importer);
}

interface RootListing {
  readonly root: string;
  /** The root with its links resolved: what every model must lie within. */
  readonly realRoot: string;
  /** Its files and folders, but hidden ones and configs. */
  readonly items: Dirent[];
  readonly names: ReadonlySet<string>;
}

async function listRoot(root: string): Promise<RootListing> {
  const all = await readdir(root, { withFileTypes: true });
  return {
    root,
    realRoot: await realpath(root),
    items: all.filter((d) => !hidden(d.name) && !isConfigFile(d.name)),
    names: new Set(all.map((d) => d.name)),
  };
}

async function entryFrom(
  listing: RootListing,
  key: string,
  importer: PackageImporter,
): Promise<RepositoryEntry | undefined> {
  const found: { item: Dirent; kind: Kind }[] = [];
  for (const item of listing.items) {
    if (keyOf(item.name) !== key) continue;
    const kind = await kindOf(listing, item);
    if (kind) found.push({ item, kind });
  }
  if (found.length === 0) return undefined;
  const label = (f: (typeof found)[number]) => (f.kind.folder ? `${f.item.name}/` : f.item.name);
  if (found.length > 1) {
    const labels = found.map(label);
    return problem(key, labels.join(', '), `${labels.join(' and ')} are both models called "${key}"; keep one`);
  }
  const [{ item, kind }] = found as [(typeof found)[number]];
  const path = join(listing.root, item.name);
  const configPath = await configOf(listing, key, path, kind);
  const base = { key, label: label(found[0]!), ...(configPath === undefined ? {} : { configPath }) };
  if ('outside' in kind) return problem(key, base.label, kind.outside);
  let config: ModelConfig;
  try {
    config = configPath === undefined ? {} : await readModelConfig(configPath);
  } catch (err) {
    return { ...problem(key, base.label, (err as Error).message), ...base };
  }
  const versions = kind.numbered ? await numberedVersions(path) : new Map([['1', kind.location]]);
  if (kind.numbered && versions.size === 0) {
    return { ...problem(key, base.label, `${base.label} has no numbered version folders (${key}/1/…)`), ...base };
  }
  const named = await nameOf(key, config, kind.numbered ? undefined : kind.location, importer);
  if ('problem' in named) return { ...problem(key, base.label, named.problem), ...base, config };
  return { ...base, name: named.name, config, numbered: kind.numbered, versions };
}

function problem(key: string, label: string, why: string): RepositoryEntry {
  return { key, label, name: key, config: {}, numbered: false, versions: new Map(), problem: why };
}

type Kind =
  | { readonly folder: boolean; readonly numbered: false; readonly location: string }
  | { readonly folder: true; readonly numbered: true }
  | { readonly folder: boolean; readonly outside: string };

/** What a top-level item is: a model file or folder, a folder of versions, or nothing to serve. */
async function kindOf(listing: RootListing, item: Dirent): Promise<Kind | undefined> {
  const path = join(listing.root, item.name);
  const info = await stat(path).catch(() => undefined);
  if (!info) return undefined; // a dangling link, or gone already
  const folder = info.isDirectory();
  if (item.isSymbolicLink()) {
    const target = await realpath(path);
    if (!within(listing.realRoot, target)) {
      return {
        folder,
        outside: `${item.name} links to ${target}, outside the repository; only links within it are followed`,
      };
    }
  }
  const model = await modelAt(path);
  if (model !== undefined) return { folder, numbered: false, location: model };
  if (!folder) return undefined;
  const inside = await readdir(path, { withFileTypes: true }).catch(() => []);
  const numbered = inside.some((d) => isVersionName(d.name));
  const configured = FOLDER_CONFIG_NAMES.some((name) => inside.some((d) => d.name === name));
  // A folder of something else (notes, data) is not a model; one with a config was meant to be.
  return numbered || configured ? { folder: true, numbered: true } : undefined;
}

/** The model at `path` when it is one by itself: a model file, or a TF.js/SavedModel folder. */
async function modelAt(path: string): Promise<string | undefined> {
  try {
    const { location } = await recogniseModel(path);
    // A model.json file stands for its folder; only the folder itself counts as the model.
    return location === path ? location : undefined;
  } catch {
    return undefined;
  }
}

async function configOf(listing: RootListing, key: string, path: string, kind: Kind): Promise<string | undefined> {
  if (!kind.folder) {
    const name = fileConfigNames(key).find((n) => listing.names.has(n));
    return name === undefined ? undefined : join(listing.root, name);
  }
  const inside = new Set(await readdir(path).catch(() => []));
  const name = FOLDER_CONFIG_NAMES.find((n) => inside.has(n));
  return name === undefined ? undefined : join(path, name);
}

/** Version folders are whole numbers without leading zeros: `1`, `2`, `10`. */
const isVersionName = (name: string) => /^(0|[1-9]\d*)$/.test(name);

/** The numbered folders (or links) in a model's folder; what each holds is looked at only to load it. */
async function numberedVersions(folder: string): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (const d of await readdir(folder, { withFileTypes: true })) {
    if (isVersionName(d.name) && (d.isDirectory() || d.isSymbolicLink())) versions.set(d.name, join(folder, d.name));
  }
  return versions;
}

/**
 * The model of one version of `entry`: for a numbered folder, the folder itself (TF.js,
 * SavedModel) or the one model file in it; never anything outside the repository (`realRoot`).
 */
export async function locateModel(realRoot: string, entry: RepositoryEntry, version: string): Promise<ModelLocation> {
  const path = entry.versions.get(version);
  if (path === undefined) return { problem: `there is no version ${version}` };
  if (!entry.numbered) return { path };
  const real = await realpath(path).catch(() => undefined);
  if (real === undefined) return { problem: `version ${version} is gone` };
  if (!within(realRoot, real)) return { problem: `version ${version} links to ${real}, outside the repository` };
  if (!(await stat(real)).isDirectory()) return { problem: `version ${version} is not a folder` };
  if ((await modelAt(path)) !== undefined) return { path };
  const models: string[] = [];
  for (const name of await readdir(path)) {
    if (hidden(name) || isConfigFile(name)) continue;
    if ((await modelAt(join(path, name))) !== undefined) models.push(name);
  }
  if (models.length === 1) return { path: join(path, models[0]!) };
  return {
    problem:
      models.length === 0
        ? `version folder ${version} holds no model`
        : `version folder ${version} holds several models (${models.join(', ')}); keep one`,
  };
}

/** The served name: the config's, else the model's own (see ModelFormat.declaredName), else the key. */
async function nameOf(
  key: string,
  config: ModelConfig,
  location: string | undefined,
  importer: PackageImporter,
): Promise<{ name: string } | { problem: string }> {
  if (config.name !== undefined) {
    return isModelName(config.name)
      ? { name: config.name }
      : { problem: `the config's name "${config.name}" is not a model name: ${MODEL_NAME_RULE}` };
  }
  const declared = location === undefined ? undefined : await declaredName(location, importer);
  if (declared !== undefined && isModelName(declared)) return { name: declared };
  if (isModelName(key)) return { name: key };
  return { problem: `"${key}" is not a model name (${MODEL_NAME_RULE}); rename it or name it in a config` };
}

async function declaredName(location: string, importer: PackageImporter): Promise<string | undefined> {
  try {
    const { format } = await recogniseModel(location);
    if (!format.declaredName) return undefined;
    return await format.declaredName(await importOptional(format.package, importer, location), location);
  } catch {
    // Unreadable now means it will fail to load, which says why; the name falls back meanwhile.
    return undefined;
  }
}

/** Whether `path` lies within `root` (both real paths). */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * A fingerprint of a model's files (paths, sizes, modification times) and its config's, to
 * tell whether it changed since it was loaded. Throws when a file links out of the repository
 * (`realRoot`), so nothing outside it is ever loaded.
 */
export async function stampOf(realRoot: string, path: string, configPath?: string): Promise<string> {
  const parts: string[] = [];
  const visit = async (p: string): Promise<void> => {
    const real = await realpath(p);
    if (!within(realRoot, real)) throw new Error(`${p} links to ${real}, outside the repository`);
    const info = await stat(real);
    if (info.isDirectory()) {
      for (const name of (await readdir(p)).sort()) if (!hidden(name)) await visit(join(p, name));
    } else {
      parts.push(`${relative(path, p)}:${info.size}:${info.mtimeMs}`);
    }
  };
  await visit(path);
  if (configPath !== undefined) {
    const info = await stat(configPath).catch(() => undefined);
    parts.push(`config:${info?.size}:${info?.mtimeMs}`);
  }
  return parts.join('|');
}
