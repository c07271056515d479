import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@graphpipe/protocol';
import type { Backend } from '@graphpipe/server-core';

export const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));

export const modelBytes = (name: string): Uint8Array => readFileSync(`${MODELS_DIR}${name}.onnx`);

/** Calls infer the way the server does, with a live signal and no config. */
export function infer(backend: Backend, inputs: Record<string, Tensor>, outputs: readonly string[] = []) {
  return backend.infer(inputs, outputs, { config: '', signal: new AbortController().signal });
}
