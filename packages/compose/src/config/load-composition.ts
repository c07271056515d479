import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Backend } from '@graphpipe/server-core';
import { parse } from 'yaml';
import { closeAll } from '../stage.js';
import { buildNode } from './build.js';
import { defaultLoaders, type Loaders } from './loaders.js';
import { substitute } from './vars.js';

export interface CompositionOptions {
  /** Values for `${NAME}` in the config's strings. Default: process.env. */
  readonly vars?: Readonly<Record<string, string | undefined>>;
  /** Relative model paths are resolved against it. Default: the working directory. */
  readonly dir?: string;
}

/** Builds a backend from a YAML (or JSON) config file; relative paths are relative to the file. */
export async function loadComposition(
  file: string,
  loaders: Loaders = defaultLoaders,
  options: CompositionOptions = {},
): Promise<Backend> {
  const text = await readFile(file, 'utf8');
  return buildComposition(parse(text), loaders, { dir: dirname(resolve(file)), ...options }, file);
}

/** Builds a backend from an already parsed config. If any part fails, the parts built so far are closed. */
export async function buildComposition(
  config: unknown,
  loaders: Loaders = defaultLoaders,
  options: CompositionOptions = {},
  source = 'composition',
): Promise<Backend> {
  const opened: Backend[] = [];
  try {
    const doc = substitute(config, options.vars ?? process.env);
    const { backend } = await buildNode(doc, 'composition', source, {
      loaders,
      dir: options.dir ?? process.cwd(),
      opened,
    });
    return backend;
  } catch (err) {
    await closeAll(opened).catch(() => undefined);
    throw err;
  }
}
