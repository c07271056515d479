import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Backend } from '@graphpipe/server-core';

export type ModelKind = 'onnx' | 'tf' | 'composition';

/**
 * Which backend serves a path: .onnx files go to ONNX Runtime, TF.js and SavedModel directories
 * to TensorFlow, and .yaml/.json files (other than model.json) are compositions of models.
 */
export async function detectModelKind(path: string): Promise<{ kind: ModelKind; location: string }> {
  const info = await stat(path).catch(() => {
    throw new Error(`no model at ${path}`);
  });
  if (info.isFile()) {
    if (path.endsWith('.onnx') || path.endsWith('.ort')) return { kind: 'onnx', location: path };
    if (basename(path) === 'model.json' || basename(path) === 'saved_model.pb')
      return { kind: 'tf', location: dirname(path) };
    if (/\.(ya?ml|json)$/.test(path)) return { kind: 'composition', location: path };
  } else if (info.isDirectory()) {
    for (const marker of ['model.json', 'saved_model.pb']) {
      if (
        await stat(join(path, marker)).then(
          () => true,
          () => false,
        )
      )
        return { kind: 'tf', location: path };
    }
  }
  throw new Error(
    `cannot tell which backend serves ${path}: expected an .onnx/.ort file, a directory with model.json (TF.js) or saved_model.pb (SavedModel), or a composition (.yaml/.json)`,
  );
}

/** Loads the backend package only when its kind of model is served, so users install just one. */
export async function loadBackend(path: string, options: { name?: string } = {}): Promise<Backend> {
  const { kind, location } = await detectModelKind(path);
  if (kind === 'onnx') {
    const { createOnnxBackend } =
      await importBackend<typeof import('@graphpipe/backend-onnx')>('@graphpipe/backend-onnx');
    return createOnnxBackend(location, { name: options.name });
  }
  if (kind === 'composition') {
    const { loadComposition } = await importBackend<typeof import('@graphpipe/compose')>('@graphpipe/compose');
    const backend = await loadComposition(location);
    return options.name ? renamed(backend, options.name) : backend;
  }
  const { createTfBackend } = await importBackend<typeof import('@graphpipe/backend-tf')>('@graphpipe/backend-tf');
  return createTfBackend(location, { name: options.name });
}

/** The same backend under another name (compositions take theirs from the config file). */
function renamed(backend: Backend, name: string): Backend {
  return {
    metadata: { ...backend.metadata, name },
    defaultInputs: backend.defaultInputs,
    defaultOutputs: backend.defaultOutputs,
    concurrency: backend.concurrency,
    infer: (inputs, outputNames, options) => backend.infer(inputs, outputNames, options),
    close: () => backend.close?.() ?? Promise.resolve(),
  };
}

async function importBackend<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(name)) {
      throw new Error(`serving this model needs ${name}: npm install ${name}`);
    }
    throw err;
  }
}
