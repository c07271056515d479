/**
 * What an input's editor holds, as a tensor for the model: nested JSON as it stands (the server
 * checks its shape against the model's), or a flat list of values reshaped to the declared shape.
 */
import {
  type DType,
  elementCount,
  displayStrings,
  type Tensor,
  type TensorSpec,
  tensor,
  tensorFromJson,
} from '@graphpipe/client';

/** A mistake in what was typed, found before anything is sent. */
export class InputError extends Error {}

export function parseInput(text: string, spec: TensorSpec): Tensor {
  const trimmed = text.trim();
  if (!trimmed) throw new InputError('no values: type some, load a file, or fill with an example');
  const value = readValues(trimmed, spec.dtype);
  const dtype = spec.dtype ?? guessDType(value);
  try {
    if (Array.isArray(value) && value.some(Array.isArray)) return tensorFromJson(value, dtype);
    if (!Array.isArray(value)) {
      // A single value is a scalar where the model takes one; else a list of one.
      const scalar = spec.shape?.length === 0;
      return tensorFromJson(scalar ? { dtype, shape: [], data: [value] } : [value], dtype);
    }
    const shape = reshape(value.length, spec.shape);
    return tensorFromJson({ dtype, shape, data: value }, dtype);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError((err as Error).message);
  }
}

/**
 * The shape a flat list of `count` values takes for a declared shape: as declared, with its one
 * free size (-1) worked out from the count.
 */
export function reshape(count: number, declared: readonly number[] | undefined): number[] {
  if (declared === undefined || declared.length === 1) return [count];
  if (declared.length === 0) {
    if (count === 1) return [];
    throw new InputError(`${count} values given; the model takes one value (a scalar)`);
  }
  const free = declared.filter((d) => d < 0).length;
  const fixed = elementCount(declared.map((d) => (d < 0 ? 1 : d)));
  const shown = `[${declared.join(', ')}]`;
  if (free > 1) {
    throw new InputError(
      `${shown} has ${free} free sizes, so a flat list cannot be reshaped to it: give a nested array`,
    );
  }
  if (free === 0) {
    if (count === fixed) return [...declared];
    throw new InputError(`${count} values do not fit ${shown}: it takes exactly ${fixed}`);
  }
  if (count === 0 || count % fixed !== 0) {
    throw new InputError(`${count} values do not fit ${shown}: give a multiple of ${fixed} (${fixed} per row)`);
  }
  return declared.map((d) => (d < 0 ? count / fixed : d));
}

/** JSON when it looks like JSON; else values separated by commas, spaces or new lines (one string a line for text). */
function readValues(text: string, dtype: DType | undefined): unknown {
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new InputError(`not valid JSON: ${(err as Error).message}`);
    }
  }
  if (dtype === 'string') return text.split('\n');
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (parts.length === 1) return parts[0];
  return parts;
}

function guessDType(value: unknown): DType {
  const flat = Array.isArray(value) ? (value.flat(Infinity) as unknown[]) : [value];
  return flat.length > 0 && flat.every((v) => typeof v === 'string' && Number.isNaN(Number(v))) ? 'string' : 'float32';
}

/** Zeros (empty strings for text) in the declared shape, each free size taken as 1. */
export function zerosFor(spec: TensorSpec): Tensor {
  const shape = spec.shape ? spec.shape.map((d) => (d < 0 ? 1 : d)) : [1];
  const dtype = spec.dtype ?? 'float32';
  const count = elementCount(shape);
  if (dtype === 'string') return tensor(new Array<string>(count).fill(''), shape, 'string');
  return tensorFromJson({ dtype, shape, data: new Array<number>(count).fill(0) });
}

/**
 * Example `index` of a model's examples for an input: one row (kept as a batch of one) when the
 * input has a batch axis and the examples hold several rows, else all of it.
 */
export function exampleAt(example: Tensor, spec: TensorSpec, index: number): { tensor: Tensor; count: number } {
  const batched = spec.shape?.[0] === -1 && example.shape.length === spec.shape.length && example.shape[0]! > 1;
  if (!batched) return { tensor: example, count: 1 };
  const rows = example.shape[0]!;
  const row = ((index % rows) + rows) % rows;
  const size = elementCount(example.shape.slice(1));
  const shape = [1, ...example.shape.slice(1)];
  const data = (example.data as unknown as { slice(start: number, end: number): Tensor['data'] }).slice(
    row * size,
    (row + 1) * size,
  );
  return { tensor: tensor(data as never, shape, example.dtype), count: rows };
}

/** A tensor as editor text: nested JSON, floats as short as they stay exact. */
export function formatTensor(t: Tensor): string {
  const values: string[] =
    t.dtype === 'string'
      ? displayStrings(t).map((s) => JSON.stringify(s))
      : Array.from(t.data as ArrayLike<number | bigint>, (v) => formatNumber(v, t.dtype));
  if (t.shape.length === 0) return values[0] ?? '';
  return nest(values, t.shape, 0, 0).text;
}

function nest(values: string[], shape: readonly number[], depth: number, at: number): { text: string; next: number } {
  const parts: string[] = [];
  let next = at;
  for (let i = 0; i < shape[depth]!; i++) {
    if (depth === shape.length - 1) parts.push(values[next++]!);
    else {
      const inner = nest(values, shape, depth + 1, next);
      parts.push(inner.text);
      next = inner.next;
    }
  }
  const separator = depth < shape.length - 1 ? ',\n' : ', ';
  return { text: `[${parts.join(separator)}]`, next };
}

/** A number as text: float32 values as the shortest decimal that reads back the same. */
export function formatNumber(v: number | bigint, dtype: DType): string {
  // Beyond 2^53 a JSON number would lose digits; quoted, the editor reads it back exactly.
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? v.toString() : `"${v}"`;
  if (dtype === 'float32' && Number.isFinite(v)) {
    for (let digits = 1; digits < 9; digits++) {
      const text = String(Number(v.toPrecision(digits)));
      if (Math.fround(Number(text)) === v) return text;
    }
  }
  return String(v);
}

/** A file's tensor in the dtype the input takes, converting between numeric dtypes. */
export function convertTo(t: Tensor, dtype: DType | undefined): Tensor {
  if (dtype === undefined || t.dtype === dtype) return t;
  if (t.dtype === 'string' || dtype === 'string' || t.dtype === 'float16' || dtype === 'float16') {
    throw new InputError(`the file holds ${t.dtype} values and the input takes ${dtype}`);
  }
  const values = Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
  try {
    return tensorFromJson({ dtype, shape: t.shape, data: values });
  } catch (err) {
    throw new InputError(`the file's ${t.dtype} values do not convert to ${dtype}: ${(err as Error).message}`);
  }
}
