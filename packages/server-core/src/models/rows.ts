import { type DType, elementCount, type Tensor, type TypedArray, tensor, typedArrayFor } from '@graphpipe/protocol';

/**
 * Tensors as rows along their first dimension, the batch dimension: what dynamic batching joins
 * and splits, and what the row cache stores.
 */

/**
 * Rows `start` to `end` (exclusive): for numeric tensors a view of the same memory; for string
 * tensors a new array holding the same elements.
 */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const width = elementCount(t.shape.slice(1));
  const shape = [end - start, ...t.shape.slice(1)];
  const data =
    t.dtype === 'string'
      ? t.data.slice(start * width, end * width)
      : (t.data as TypedArray).subarray(start * width, end * width);
  return tensor(data as TypedArray, shape, t.dtype);
}

/** The rows of several tensors of one dtype and row shape, one after the other, in a new tensor. */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const rowShape = first.shape.slice(1);
  let rows = 0;
  for (const p of parts) {
    if (p.dtype !== first.dtype || !sameShape(p.shape.slice(1), rowShape)) {
      throw new TypeError(`cannot join rows of ${describe(first)} and ${describe(p)}`);
    }
    rows += p.shape[0]!;
  }
  const shape = [rows, ...rowShape];
  if (first.dtype === 'string')
    return tensor(
      parts.flatMap((p) => p.data as readonly (string | Uint8Array)[]),
      shape,
      'string',
    );
  const out = new (typedArrayFor(first.dtype as Exclude<DType, 'string'>))(elementCount(shape));
  let at = 0;
  for (const p of parts) {
    (out as Float32Array).set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return tensor(out, shape, first.dtype);
}

/**
 * The same rows in memory of their own: what is kept past the answer (the row cache) must not
 * be a view of a request body, whose memory is reused once the answer is out.
 */
export function ownRows(t: Tensor): Tensor {
  const data =
    t.dtype === 'string' ? t.data.map((s) => (typeof s === 'string' ? s : s.slice())) : (t.data as TypedArray).slice();
  return tensor(data as TypedArray, t.shape, t.dtype);
}

/**
 * A request's rows: its inputs' common first dimension, or undefined if one has no rows (a
 * scalar), they disagree, or there are none. Loops over the record: no array per request.
 */
export function rowsOf(inputs: Readonly<Record<string, Tensor>>): number | undefined {
  let rows: number | undefined;
  for (const name in inputs) {
    const { shape } = inputs[name]!;
    if (shape.length === 0 || (rows !== undefined && shape[0] !== rows)) return undefined;
    rows = shape[0];
  }
  return rows;
}

/** Whether every tensor has exactly `rows` rows (a scalar has none): a model's answer, one row per input row. */
export function haveRows(tensors: readonly Tensor[], rows: number): boolean {
  for (const t of tensors) if (t.shape.length === 0 || t.shape[0] !== rows) return false;
  return true;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describe(t: Tensor): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}
