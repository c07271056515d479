import { stringValues, type Tensor } from '@graphpipe/protocol';

const MAX_SHOWN = 20;

/** One line describing a tensor: dtype, shape and its first values. */
export function describeTensor(name: string, t: Tensor): string {
  const values =
    t.dtype === 'string'
      ? stringValues(t).map((s) => JSON.stringify(s))
      : t.dtype === 'bool'
        ? Array.from(t.data, (b) => String(b !== 0))
        : Array.from(t.data as ArrayLike<number | bigint>, String);
  const shown =
    values.slice(0, MAX_SHOWN).join(', ') + (values.length > MAX_SHOWN ? `, … (${values.length} values)` : '');
  return `${name}: ${t.dtype}[${t.shape.join(', ')}] ${shown}`;
}

/** A tensor as plain JSON: {"dtype", "shape", "data"} (64-bit integers as strings, exactly; bools as true/false). */
export function tensorToJson(t: Tensor): { dtype: string; shape: readonly number[]; data: unknown[] } {
  const data =
    t.dtype === 'string'
      ? stringValues(t)
      : t.dtype === 'bool'
        ? Array.from(t.data, (b) => b !== 0)
        : Array.from(t.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
  return { dtype: t.dtype, shape: t.shape, data };
}
