import { readFile } from 'node:fs/promises';
import { type DType, isDType, type Tensor, tensor, typedArrayFor } from '@graphpipe/protocol';
import { parseNpy } from './npy.js';

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

export function tensorFromJson(value: unknown): Tensor {
  if (Array.isArray(value)) {
    const shape = shapeOf(value);
    const flat = value.flat(Infinity) as unknown[];
    if (flat.every((v) => typeof v === 'string')) return tensor(flat as string[], shape, 'string');
    if (flat.length && flat.every((v) => typeof v === 'boolean')) return fromNumbers('bool', shape, flat);
    return fromNumbers('float32', shape, flat);
  }
  const spec = value as { dtype?: unknown; shape?: unknown; data?: unknown };
  if (!spec || !Array.isArray(spec.data))
    throw new Error('a JSON tensor is a nested array or {"dtype", "shape", "data"}');
  const dtype = spec.dtype ?? 'float32';
  if (!isDType(dtype)) throw new Error(`unknown dtype ${JSON.stringify(dtype)}`);
  const flat = (spec.data as unknown[]).flat(Infinity);
  const shape = Array.isArray(spec.shape) ? (spec.shape as number[]) : shapeOf(spec.data as unknown[]);
  if (dtype === 'string') return tensor(flat.map(String), shape, 'string');
  return fromNumbers(dtype, shape, flat);
}

function fromNumbers(dtype: Exclude<DType, 'string'>, shape: number[], values: unknown[]): Tensor {
  const ArrayType = typedArrayFor(dtype);
  const wide = dtype === 'int64' || dtype === 'uint64';
  const data = new ArrayType(values.length);
  values.forEach((v, i) => {
    if (dtype === 'bool') {
      if (v !== true && v !== false && v !== 0 && v !== 1)
        throw new Error(`element ${i} is not true, false, 0 or 1: ${JSON.stringify(v)}`);
      (data as Uint8Array)[i] = Number(v);
      return;
    }
    if (typeof v !== 'number' && typeof v !== 'string')
      throw new Error(`element ${i} is not a number: ${JSON.stringify(v)}`);
    (data as unknown as unknown[])[i] = wide ? BigInt(v) : Number(v);
  });
  return tensor(data, shape, dtype);
}

/** The shape of a nested array, which must be rectangular. */
function shapeOf(value: unknown[]): number[] {
  const shape = [value.length];
  let first = value[0];
  while (Array.isArray(first)) {
    shape.push(first.length);
    first = first[0];
  }
  const check = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new Error('nested arrays are deeper in some places than others');
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth])
      throw new Error(`nested arrays are not rectangular: expected shape [${shape.join(', ')}]`);
    for (const item of v) check(item, depth + 1);
  };
  check(value, 0);
  return shape;
}
