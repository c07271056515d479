import { elementCount, GraphPipeError, type Tensor, type TypedArray } from '@graphpipe/protocol';
import type { TensorSpec } from '@graphpipe/server-core';

export type CombineName = 'mean' | 'sum' | 'max' | 'min' | 'concat';

/**
 * A custom combination: one tensor per member, in member order, to one tensor. The ensemble
 * declares its result with the members' dtype and shape, so it should keep both (as `mean` does);
 * to reshape, add a pipeline stage after the ensemble.
 */
export type CombineFn = (tensors: readonly Tensor[], output: string) => Tensor;

export type CombineRule = CombineName | CombineFn;

export interface Combiner {
  /** The combined output's declaration from the members'; throws a TypeError when they cannot combine. */
  spec(name: string, specs: readonly TensorSpec[]): TensorSpec;
  run(tensors: readonly Tensor[], output: string): Tensor;
}

export const COMBINE_NAMES: readonly CombineName[] = ['mean', 'sum', 'max', 'min', 'concat'];

export function combinerFor(rule: CombineRule): Combiner {
  if (typeof rule === 'function') return { spec: sameSpec, run: rule };
  switch (rule) {
    case 'mean':
      return { spec: (name, specs) => floatOnly(sameSpec(name, specs)), run: mean };
    case 'sum':
      return { spec: sameSpec, run: (ts, name) => elementwise(ts, name, add) };
    case 'max':
      return { spec: sameSpec, run: (ts, name) => elementwise(ts, name, (acc, x) => (x > acc ? x : acc)) };
    case 'min':
      return { spec: sameSpec, run: (ts, name) => elementwise(ts, name, (acc, x) => (x < acc ? x : acc)) };
    case 'concat':
      return { spec: concatSpec, run: concat };
  }
  throw new TypeError(`unknown combine "${String(rule)}"; expected one of ${COMBINE_NAMES.join(', ')} or a function`);
}

/** Members must agree on the dtype and, dimension by dimension, on the shape (-1 agrees with any size). */
function sameSpec(name: string, specs: readonly TensorSpec[]): TensorSpec {
  return {
    name,
    dtype: commonDType(name, specs),
    shape: mergeShapes(
      name,
      specs.map((s) => s.shape),
      false,
    ),
  };
}

function concatSpec(name: string, specs: readonly TensorSpec[]): TensorSpec {
  const spec = {
    name,
    dtype: commonDType(name, specs),
    shape: mergeShapes(
      name,
      specs.map((s) => s.shape),
      true,
    ),
  };
  if (spec.shape?.length === 0) throw new TypeError(`cannot concat scalars for output "${name}"`);
  return spec;
}

function floatOnly(spec: TensorSpec): TensorSpec {
  if (spec.dtype && spec.dtype !== 'float32' && spec.dtype !== 'float64') {
    throw new TypeError(`'mean' needs float32 or float64 for output "${spec.name}", the members declare ${spec.dtype}`);
  }
  return spec;
}

function commonDType(name: string, specs: readonly TensorSpec[]) {
  const dtypes = new Set(specs.map((s) => s.dtype).filter((d) => d !== undefined));
  if (dtypes.size > 1) throw new TypeError(`members disagree on the dtype of "${name}": ${[...dtypes].join(' vs ')}`);
  const [dtype] = dtypes;
  if (dtype === 'string' || dtype === 'float16') throw new TypeError(`cannot combine ${dtype} output "${name}"`);
  return dtype;
}

/** undefined when any member leaves the shape open; the last axis adds up when concatenating. */
function mergeShapes(
  name: string,
  shapes: readonly (readonly number[] | undefined)[],
  concatLast: boolean,
): number[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const [first, ...rest] = shapes as (readonly number[])[];
  return first!.map((d, axis) => {
    const dims = [
      d,
      ...rest.map((s) => {
        if (s.length !== first!.length) throw new TypeError(`members disagree on the rank of "${name}"`);
        return s[axis]!;
      }),
    ];
    if (concatLast && axis === first!.length - 1) return dims.some((x) => x < 0) ? -1 : dims.reduce((a, b) => a + b, 0);
    const fixed = new Set(dims.filter((x) => x >= 0));
    if (fixed.size > 1)
      throw new TypeError(`members disagree on dimension ${axis} of "${name}": ${[...fixed].join(' vs ')}`);
    return dims.some((x) => x < 0) ? -1 : d;
  });
}

type Step = (acc: number, x: number) => number;
const add: Step = (acc, x) => acc + x;

/**
 * Combines same-shaped numeric tensors element by element. For int64/uint64 the elements are
 * bigints; `+`, `<` and `>` work on them as on numbers, so the same steps serve both.
 */
function elementwise(tensors: readonly Tensor[], name: string, step: Step): Tensor {
  const first = checkSame(tensors, name);
  if (first.dtype === 'string' || first.dtype === 'float16')
    throw combineError(`cannot combine ${first.dtype} output "${name}"`);
  const out = (first.data as TypedArray).slice() as unknown as number[];
  for (let m = 1; m < tensors.length; m++) {
    const data = tensors[m]!.data as ArrayLike<number>;
    for (let i = 0; i < out.length; i++) out[i] = step(out[i]!, data[i]!);
  }
  return { dtype: first.dtype, shape: first.shape, data: out } as unknown as Tensor;
}

/** Adds up in float64 so float32 members lose no precision on the way. */
function mean(tensors: readonly Tensor[], name: string): Tensor {
  const first = checkSame(tensors, name);
  if (first.dtype !== 'float32' && first.dtype !== 'float64')
    throw combineError(`'mean' needs float32 or float64 for "${name}", got ${first.dtype}`);
  const sum = new Float64Array(first.data.length);
  for (const t of tensors) for (let i = 0; i < sum.length; i++) sum[i]! += (t.data as Float32Array)[i]!;
  const out = new (first.data.constructor as Float32ArrayConstructor)(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = sum[i]! / tensors.length;
  return { dtype: first.dtype, shape: first.shape, data: out } as Tensor;
}

/** Joins along the last axis, members in order. */
function concat(tensors: readonly Tensor[], name: string): Tensor {
  const first = tensors[0]!;
  if (first.shape.length === 0) throw combineError(`cannot concat scalars for output "${name}"`);
  const rows = elementCount(first.shape.slice(0, -1));
  const widths = tensors.map((t) => {
    if (
      t.dtype !== first.dtype ||
      t.shape.length !== first.shape.length ||
      elementCount(t.shape.slice(0, -1)) !== rows
    ) {
      throw combineError(`members answered "${name}" with tensors that cannot be joined: ${shapes(tensors)}`);
    }
    return t.shape.at(-1)!;
  });
  const total = widths.reduce((a, b) => a + b, 0);
  const out: unknown[] | TypedArray =
    first.dtype === 'string'
      ? new Array(rows * total)
      : new (first.data.constructor as new (n: number) => TypedArray)(rows * total);
  let o = 0;
  for (let r = 0; r < rows; r++) {
    tensors.forEach((t, m) => {
      const w = widths[m]!;
      for (let j = 0; j < w; j++) (out as unknown[])[o++] = (t.data as ArrayLike<unknown>)[r * w + j];
    });
  }
  return { dtype: first.dtype, shape: [...first.shape.slice(0, -1), total], data: out } as Tensor;
}

function checkSame(tensors: readonly Tensor[], name: string): Tensor {
  const first = tensors[0]!;
  for (const t of tensors) {
    if (t.dtype !== first.dtype || t.shape.join() !== first.shape.join()) {
      throw combineError(`members answered "${name}" with different dtypes or shapes: ${shapes(tensors)}`);
    }
  }
  return first;
}

const shapes = (tensors: readonly Tensor[]) => tensors.map((t) => `${t.dtype}[${t.shape.join(', ')}]`).join(' vs ');

/** Members that disagree at run time are the composition's fault, not the caller's. */
const combineError = (message: string) => new GraphPipeError('INTERNAL', message);
