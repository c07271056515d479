/** Turns onnxruntime's failures (to load a model, to run it) into GraphPipeErrors, as every ONNX backend says them. */
import { GraphPipeError, messageOf } from '@graphpipe/protocol';

// onnxruntime-node passes only the message on, not ORT's status code, so the message is all there
// is to tell a caller's input (dims the metadata allowed but the graph cannot take) from a fault of
// the model or runtime.
const CALLER_FAULTS: readonly RegExp[] = [
  /^Got invalid dimensions for input/,
  /^Invalid rank for input/,
  /^Unexpected input data type/,
  /^input '.*' is missing in 'feeds'/,
  /Attempting to broadcast an axis/,
  /cannot be reshaped to the requested shape/,
];

export function runError(err: unknown): GraphPipeError {
  const message = messageOf(err).replace(/\s+/g, ' ').trim();
  const code = CALLER_FAULTS.some((re) => re.test(message)) ? 'INVALID_ARGUMENT' : 'INTERNAL';
  return new GraphPipeError(code, `onnxruntime: ${message}`, { cause: err });
}

/** A model that did not load; `from`: its path, or its size when given as bytes. */
export function loadError(from: string, err: unknown): GraphPipeError {
  const message = messageOf(err);
  return new GraphPipeError('INTERNAL', `cannot load ONNX model (${from}): ${message}`, { cause: err });
}

/** A backend's `concurrency` option, checked the same way by every ONNX backend. */
export function checkedConcurrency(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new TypeError(`concurrency must be a positive integer, got ${n}`);
  return n;
}
