import type { Tensor, TensorOf } from '@graphpipe/protocol';

const MAX_SHOWN = 20;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** One line describing a tensor: dtype, shape and its first values. */
export function describeTensor(name: string, t: Tensor): string {
  const values =
    t.dtype === 'string'
      ? shownStrings(t)
      : t.dtype === 'bool'
        ? Array.from(t.data, (b) => String(b !== 0))
        : Array.from(t.data as ArrayLike<number | bigint>, String);
  const shown =
    values.slice(0, MAX_SHOWN).join(', ') + (values.length > MAX_SHOWN ? `, … (${values.length} values)` : '');
  return `${name}: ${t.dtype}[${t.shape.join(', ')}] ${shown}`;
}

/** Text as a JSON string; an element that is not UTF-8 as its bytes in hex (0xfffe), never as U+FFFD. */
function shownStrings(t: TensorOf<'string'>): string[] {
  return t.data.map((v) => {
    if (typeof v === 'string') return JSON.stringify(v);
    try {
      return JSON.stringify(strictUtf8.decode(v));
    } catch {
      return `0x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
    }
  });
}
