import { readFileSync } from 'node:fs';
import type { Tensor } from '@graphpipe/protocol';
import type { Backend } from '@graphpipe/server-core';
import { modelPath, liveContext } from '@graphpipe/test-utils';

export const modelBytes = (name: string): Uint8Array => readFileSync(modelPath(`${name}.onnx`));

/** Calls infer the way the server does, with a live signal and no config. */
export function infer(backend: Backend, inputs: Record<string, Tensor>, outputs: readonly string[] = []) {
  return backend.infer(inputs, outputs, liveContext());
}
