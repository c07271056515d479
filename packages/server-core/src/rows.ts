import { type DType, elementCount, type Tensor, type TypedArray, tensor, typedArrayFor } from '@graphpipe/protocol';

/**
 * Tensors as rows along their first dimension, the batch dimension: what dynamic batching joins
 * and splits, and what the row cache stores.
 */

/** Rows `start` to `end` (exclusive), as a view of the same memory. */
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
      parts.flatMap((p) => p.data as readonly string[]),
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

/** The same rows in memory of their own, so holding them does not hold the tensor they came from. */
export function ownRows(t: Tensor): Tensor {
  const data = t.dtype === 'string' ? [...t.data] : (t.data as TypedArray).slice();
  return tensor(data as TypedArray, t.shape, t.dtype);
}

/** Whether every tensor has rows and all have the same number of them. */
export function commonRows(tensors: readonly Tensor[]): number | undefined {
  let rows: number | undefined;
  for (const t of tensors) {
    if (t.shape.length === 0) return undefined;
    if (rows === undefined) rows = t.shape[0];
    else if (t.shape[0] !== rows) return undefined;
  }
  return rows;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describe(t: Tensor): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}
