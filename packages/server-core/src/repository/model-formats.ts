import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { GraphPipeError, messageOf } from '@graphpipe/protocol';
import { parse as parseYaml } from 'yaml';
import type { Backend } from '../backend.js';

/**
 * The one table of model formats: how a model file or folder is recognised, and which package
 * loads it. The CLI, compositions and the model repository all go through it. To add a
 * backend, add its format here (and see "Add a backend" in this package's README).
 */
export interface ModelFormat {
  /** Also the key of a composition member: `{ onnx: path }`. */
  readonly name: string;
  /** The package that loads it, imported only when a model of this format is served. */
  readonly package: string;
  /** What a model of this format looks like on disk, for error messages. */
  readonly looksLike: string;
  /** The location to load when `path` is a model of this format, else undefined. */
  recognise(path: string, isDirectory: boolean): Promise<string | undefined>;
  /** Loads the model with the imported package. */
  load(pkg: unknown, location: string, options: ModelLoadOptions): Promise<Backend>;
  /**
   * The name the model gives itself, read without loading it, where the format has a place for
   * one the model's author sets (a model repository serves it under that name).
   */
  declaredName?(pkg: unknown, location: string): Promise<string | undefined>;
}

export interface ModelLoadOptions {
  /** The name to serve the model under, instead of the one it carries. */
  readonly name?: string;
  /** Backend-specific options, passed on as they are. */
  readonly [option: string]: unknown;
}

/**
 * Imports a package by name. Pass `(name) => import(name)` from the package that declares the
 * backends as (optional) dependencies: Node resolves an import from the importing file's place.
 */
export type PackageImporter = (name: string) => Promise<unknown>;

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Loads through a named factory of the package: `factory(location, options)`. */
const factory =
  (exportName: string) =>
  (pkg: unknown, location: string, options: ModelLoadOptions): Promise<Backend> => {
    const create = (pkg as Record<string, unknown>)[exportName];
    if (typeof create !== 'function') throw new TypeError(`the package does not export ${exportName}()`);
    return (create as (location: string, options: ModelLoadOptions) => Promise<Backend>)(location, options);
  };

const ONNX_FILE = /\.(onnx|ort)$/;

export const modelFormats: ModelFormat[] = [
  {
    name: 'onnx',
    package: '@graphpipe/backend-onnx',
    looksLike: 'an .onnx/.ort file (or a directory holding just one)',
    async recognise(path, isDirectory) {
      if (!isDirectory) return ONNX_FILE.test(path) ? path : undefined;
      // KServe's storage initializer puts a model's file into a directory (/mnt/models).
      const files = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && ONNX_FILE.test(e.name));
      return files.length === 1 ? join(path, files[0]!.name) : undefined;
    },
    load: factory('createOnnxBackend'),
    // The metadata property `name`, as the backend itself reads it.
    async declaredName(pkg, location) {
      const { readModelHeader } = pkg as { readModelHeader(path: string): { metadataProps: Map<string, string> } };
      return readModelHeader(location).metadataProps.get('name');
    },
  },
  {
    name: 'tf',
    package: '@graphpipe/backend-tf',
    looksLike: 'a directory with model.json (TF.js) or saved_model.pb (SavedModel)',
    async recognise(path, isDirectory) {
      const markers = ['model.json', 'saved_model.pb'];
      if (!isDirectory) return markers.includes(basename(path)) ? dirname(path) : undefined;
      for (const marker of markers) if (await exists(join(path, marker))) return path;
      return undefined;
    },
    load: factory('createTfBackend'),
    // No declared name: a TF.js layers model's name is mostly Keras's generated "sequential_1",
    // and a SavedModel has no place for one.
  },
  {
    name: 'composition',
    package: '@graphpipe/compose',
    looksLike: 'a composition (.yaml/.json)',
    recognise: async (path, isDirectory) => (!isDirectory && /\.(ya?ml|json)$/.test(path) ? path : undefined),
    async load(pkg, location, { name }) {
      const { loadComposition } = pkg as { loadComposition(file: string): Promise<Backend> };
      const backend = await loadComposition(location);
      // A composition takes its name from its file; serve it under another when asked.
      return name ? renamed(backend, name) : backend;
    },
    // Its top-level `name`, as written (no `${VAR}` is filled in).
    async declaredName(_pkg, location) {
      const doc: unknown = parseYaml(await readFile(location, 'utf8'));
      const name = (doc as { name?: unknown } | null)?.name;
      return typeof name === 'string' ? name : undefined;
    },
  },
];

/** The format of the model at `path`, and the location its package loads. */
export async function recogniseModel(path: string): Promise<{ format: ModelFormat; location: string }> {
  const info = await stat(path).catch(() => {
    throw new GraphPipeError('NOT_FOUND', `no model at ${path}`);
  });
  for (const format of modelFormats) {
    const location = await format.recognise(path, info.isDirectory());
    if (location !== undefined) return { format, location };
  }
  const kinds = modelFormats.map((f) => f.looksLike);
  const expected = `${kinds.slice(0, -1).join(', ')}, or ${kinds.at(-1)}`;
  throw new GraphPipeError('INVALID_ARGUMENT', `cannot tell which backend serves ${path}: expected ${expected}`);
}

/** Loads the model at `path` with the backend its format names. */
export async function loadModel(
  path: string,
  importer: PackageImporter,
  options: ModelLoadOptions = {},
): Promise<Backend> {
  const { format, location } = await recogniseModel(path);
  const pkg = await importOptional(format.package, importer, `serving ${path}`);
  return format.load(pkg, location, options);
}

/** The format called `name` (a composition member's key), if there is one. */
export function modelFormat(name: string): ModelFormat | undefined {
  return modelFormats.find((f) => f.name === name);
}

/**
 * Imports a package the user may not have installed; when it is absent, says which one to
 * install for what. Any other failure (a broken install) keeps its own error.
 */
export async function importOptional(name: string, importer: PackageImporter, forWhat: string): Promise<unknown> {
  try {
    return await importer(name);
  } catch (err) {
    if (isMissingPackage(err, name)) {
      throw new GraphPipeError('UNAVAILABLE', `${forWhat} needs ${name}; install it (npm install ${name})`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** True when importing `name` failed because it is not installed (not because it is broken). */
export function isMissingPackage(err: unknown, name: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && messageOf(err).includes(name);
}

/** The same backend under another name. */
function renamed(backend: Backend, name: string): Backend {
  return {
    metadata: { ...backend.metadata, name },
    defaultInputs: backend.defaultInputs,
    defaultOutputs: backend.defaultOutputs,
    concurrency: backend.concurrency,
    infer: (inputs, outputNames, context) => backend.infer(inputs, outputNames, context),
    close: () => backend.close?.() ?? Promise.resolve(),
  };
}
