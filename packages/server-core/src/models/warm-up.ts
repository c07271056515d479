import { type Tensor, tensor, typedArrayFor } from '@graphpipe/protocol';
import type { ModelMetadata, TensorSpec } from '../backend.js';
import type { BatchingOptions } from './batcher.js';
import type { ModelSignature } from './resolve.js';

/** What a generated string input holds: text, not empty strings, which some tokenizers refuse. */
const WARM_UP_TEXT = 'warm-up';

/**
 * The inputs a model warms up on: its own examples when they give every input (real data takes
 * the paths real requests take), else zeros (and text for strings) in its declared shapes, with
 * each unknown size 1, or the batch size for a first dimension when batching is on.
 */
export function warmUpInputs(
  metadata: ModelMetadata,
  signature: ModelSignature,
  batching: BatchingOptions | undefined,
): Record<string, Tensor> {
  const examples = metadata.examples ?? {};
  const inputs: Record<string, Tensor> = Object.create(null);
  const all = [...signature.inputs.keys()];
  if (all.every((name) => Object.hasOwn(examples, name))) {
    for (const name of all) inputs[name] = examples[name]!;
    return inputs;
  }
  const rows = batching?.maxBatchSize ?? 1;
  for (const [name, spec] of signature.inputs) inputs[name] = generated(spec, rows);
  return inputs;
}

function generated(spec: TensorSpec, rows: number): Tensor {
  // A model that takes any rank gets a list of `rows` elements.
  const shape = (spec.shape ?? [-1]).map((d, i) => (d >= 0 ? d : i === 0 ? rows : 1));
  let count = 1;
  for (const d of shape) count *= d;
  const dtype = spec.dtype ?? 'float32';
  if (dtype === 'string') return tensor(new Array<string>(count).fill(WARM_UP_TEXT), shape, 'string');
  return tensor(new (typedArrayFor(dtype))(count), shape, dtype);
}
