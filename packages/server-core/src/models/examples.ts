import { tensorToJson } from '@graphpipe/protocol';
import type { ModelMetadata, TensorSpec } from '../backend.js';
import { checkTensor } from './resolve.js';

/**
 * Checks a model's examples against its inputs (`meta.inputs` by name, as the served model's
 * signature holds them) when it is served, so that every example it offers runs.
 */
export function checkExamples(meta: ModelMetadata, inputs: ReadonlyMap<string, TensorSpec>): void {
  for (const [name, example] of Object.entries(meta.examples ?? {})) {
    const spec = inputs.get(name);
    if (!spec) throw new TypeError(`model "${meta.name}" has an example for "${name}", which is not one of its inputs`);
    checkTensor(`the example for input "${name}" of model "${meta.name}"`, example, spec);
  }
}

const texts = new WeakMap<ModelMetadata, string>();

/**
 * GET /models/{name}/examples: the examples by input name, each in the JSON form the CLI's
 * `--input` reads ({"dtype", "shape", "data"}); `{}` for a model without any. Made once per model.
 */
export function examplesText(meta: ModelMetadata): string {
  let text = texts.get(meta);
  if (text === undefined) {
    const entries = Object.entries(meta.examples ?? {}).map(([name, t]) => [name, tensorToJson(t)]);
    text = JSON.stringify(Object.fromEntries(entries));
    texts.set(meta, text);
  }
  return text;
}
