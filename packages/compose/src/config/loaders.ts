import { resolve } from 'node:path';
import type { Backend } from '@graphpipe/server-core';
import { importOptional, modelFormat } from '@graphpipe/server-core/node';
import { createRemoteBackend, type RemoteBackendOptions } from '../remote-backend.js';

export interface LoaderContext {
  /** The config file's directory: relative model paths are relative to it. */
  readonly dir: string;
  /** The entry's `options`, if it has any, for the loader to pass on. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** Builds a backend from a config entry's value, e.g. the path in `{ onnx: path }`. */
export type ModelLoader = (ref: string, context: LoaderContext) => Promise<Backend>;

/** By entry key: `{ onnx: path }` is loaded by `loaders.onnx`. */
export type Loaders = Readonly<Record<string, ModelLoader>>;

/** A member in a model file of one of server-core's formats: `{ onnx: path }`, `{ tf: path }`. */
function fileLoader(formatName: string): ModelLoader {
  const format = modelFormat(formatName)!;
  return async (ref, { dir, options }) => {
    const pkg = await importOptional(format.package, (name) => import(name), 'this composition');
    return format.load(pkg, resolve(dir, ref), options);
  };
}

/**
 * `onnx`, `tf` and `remote`. The backend packages are this package's optional peers, imported
 * only when an entry needs them; install the ones your configs use.
 */
export const defaultLoaders: Loaders = {
  onnx: fileLoader('onnx'),
  tf: fileLoader('tf'),
  remote: (ref, { options }) => createRemoteBackend(ref, options as RemoteBackendOptions),
};
