/**
 * Request checks, repeated here because a backend can be called without the server in front
 * (scripts, tests, other hosts); the server runs the same checks before `infer`.
 */
import { GraphPipeError, type Tensor } from '@graphpipe/protocol';
import { checkTensor, type TensorSpec } from '@graphpipe/server-core';

export function checkInput(spec: TensorSpec, t: Tensor | undefined): Tensor {
  if (t === undefined) throw invalid(`missing input "${spec.name}"`);
  try {
    checkTensor(`input "${spec.name}"`, t, spec);
  } catch (err) {
    // TF.js could convert a wrong dtype; it is refused on purpose, and the README says why.
    const wrongDType = spec.dtype !== undefined && t.dtype !== spec.dtype;
    if (wrongDType && err instanceof Error)
      throw invalid(`${err.message} (no implicit conversion; see the backend-tf README)`);
    throw err;
  }
  return t;
}

export function checkOutputs(known: readonly TensorSpec[], names: readonly string[]): void {
  const unknown = names.filter((name) => !known.some((o) => o.name === name));
  if (unknown.length > 0) {
    throw invalid(
      `unknown output ${unknown.map((n) => `"${n}"`).join(', ')}; outputs are ${known.map((o) => `"${o.name}"`).join(', ')}`,
    );
  }
}

function invalid(message: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', message);
}
