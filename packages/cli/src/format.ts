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
