/** Turns an onnxruntime run failure into a GraphPipeError. */
import { GraphPipeError } from '@graphpipe/protocol';

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
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
  const code = CALLER_FAULTS.some((re) => re.test(message)) ? 'INVALID_ARGUMENT' : 'INTERNAL';
  return new GraphPipeError(code, `onnxruntime: ${message}`, { cause: err });
}
