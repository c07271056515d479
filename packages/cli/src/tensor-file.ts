import { readFile } from 'node:fs/promises';
import { parseNpy, type Tensor, tensorFromJson } from '@graphpipe/protocol';

/**
 * Reads a tensor from a .npy file, a .json file, or inline JSON. JSON is either a nested
 * array (float32, shape from the nesting; strings make a String tensor, booleans a bool one) or
 * {"dtype": "int64", "shape": [2], "data": [1, 2]}.
 */
export async function readTensorArg(arg: string): Promise<Tensor> {
  const trimmed = arg.trim();
  const inline = trimmed.startsWith('[') || trimmed.startsWith('{');
  try {
    if (inline) return tensorFromJson(JSON.parse(trimmed));
    const bytes = await readFile(arg);
    if (arg.endsWith('.npy')) return parseNpy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return tensorFromJson(JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    // One line naming the input, whatever failed underneath (JSON syntax, shape, file).
    throw new Error(`input ${inline ? 'JSON' : arg}: ${(err as Error).message}`, { cause: err });
  }
}
