/**
 * Request checks, repeated here because a backend can be called without the server in front
 * (scripts, tests, other hosts); the server runs the same checks before `infer`.
 */
import { GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { TensorSpec } from '@graphpipe/server-core';

export function checkInput(spec: TensorSpec, t: Tensor | undefined): Tensor {
  if (t === undefined) throw invalid(`missing input "${spec.name}"`);
  if (spec.dtype !== undefined && t.dtype !== spec.dtype) {
    throw invalid(
      `input "${spec.name}" must be ${spec.dtype}, got ${t.dtype} (no implicit conversion; see the backend-tf README)`,
    );
  }
  const shape = spec.shape;
  if (shape && (t.shape.length !== shape.length || shape.some((d, i) => d >= 0 && d !== t.shape[i]))) {
    throw invalid(`input "${spec.name}" must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
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
