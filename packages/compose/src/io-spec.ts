import type { TensorSpec } from '@graphpipe/server-core';

/** The spec under another name; the description goes with it. */
export function renamed(spec: TensorSpec, name: string): TensorSpec {
  return { ...spec, name };
}

/**
 * Why a tensor declared as `from` cannot feed an input declared as `to`, or undefined when it
 * can. Undeclared dtypes and shapes, and -1 dimensions, are compatible with anything.
 */
export function mismatch(from: TensorSpec, to: TensorSpec): string | undefined {
  if (from.dtype && to.dtype && from.dtype !== to.dtype) return `${from.dtype} is not ${to.dtype}`;
  if (!from.shape || !to.shape) return undefined;
  const fits =
    from.shape.length === to.shape.length &&
    from.shape.every((d, i) => d < 0 || to.shape![i]! < 0 || d === to.shape![i]);
  return fits ? undefined : `shape [${from.shape.join(', ')}] does not fit [${to.shape.join(', ')}]`;
}
