import { resolve } from 'node:path';
import type { Backend } from '@graphpipe/server-core';
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

/**
 * `onnx`, `tf` and `remote`. The backend packages are imported only when an entry needs them,
 * so compose does not depend on them; install the ones your configs use.
 */
export const defaultLoaders: Loaders = {
  onnx: async (ref, { dir, options }) => {
    const { createOnnxBackend } = await optionalImport(
      '@graphpipe/backend-onnx',
      () => import('@graphpipe/backend-onnx'),
    );
    return createOnnxBackend(resolve(dir, ref), options as Parameters<typeof createOnnxBackend>[1]);
  },
  tf: async (ref, { dir, options }) => {
    const { createTfBackend } = await optionalImport('@graphpipe/backend-tf', () => import('@graphpipe/backend-tf'));
    return createTfBackend(resolve(dir, ref), options as Parameters<typeof createTfBackend>[1]);
  },
  remote: (ref, { options }) => createRemoteBackend(ref, options as RemoteBackendOptions),
};

/** Imports a package the caller may not have installed, saying which one to install when absent. */
export async function optionalImport<T>(pkg: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    const missing =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((err as Error).message).includes(pkg);
    if (missing) throw new Error(`this composition needs ${pkg}; install it (npm install ${pkg})`, { cause: err });
    throw err;
  }
}
