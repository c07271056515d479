import { concatBytes, type Tensor, type TypedArray } from '@graphpipe/protocol';
import { lengthPrefixed } from '@graphpipe/protocol/v2';
import { LRUCache } from 'lru-cache';

export interface RowCacheOptions {
  /** Most bytes of cached answers held; the least recently used rows go first. */
  readonly maxBytes: number;
}

/** One row's outputs, in the order they were asked for. */
type RowOutputs = readonly Tensor[];

const utf8 = new TextEncoder();

/**
 * Answers by row, as the original Go server's --cache: a row's outputs are kept under a digest
 * of the request's input names, config and requested outputs, and the row's bytes. A cache
 * belongs to one loaded model version, so a reload starts an empty one. Only for models whose
 * rows do not affect each other (the usual case: one example per row).
 */
export class RowCache {
  private readonly lru: LRUCache<string, RowOutputs>;

  constructor(options: RowCacheOptions) {
    if (!(options.maxBytes > 0)) throw new RangeError(`cache maxBytes must be positive, got ${options.maxBytes}`);
    this.lru = new LRUCache<string, RowOutputs>({
      maxSize: options.maxBytes,
      sizeCalculation: (outputs, key) => key.length + outputs.reduce((n, t) => n + bytesOf(t), 0),
    });
  }

  /** Bytes held now. */
  get size(): number {
    return this.lru.calculatedSize;
  }

  get(key: string): RowOutputs | undefined {
    return this.lru.get(key);
  }

  set(key: string, outputs: RowOutputs): void {
    this.lru.set(key, outputs);
  }

  /** A key per row: SHA-256 of what decides the row's answer. */
  async keys(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    config: string,
    rows: number,
  ): Promise<string[]> {
    const names = Object.keys(inputs).sort();
    const head = utf8.encode(
      JSON.stringify([outputNames, config, names.map((n) => [n, inputs[n]!.dtype, inputs[n]!.shape.slice(1)])]),
    );
    const rowBytes = names.map((n) => rowSlicer(inputs[n]!, rows));
    return Promise.all(
      Array.from({ length: rows }, async (_, row) => {
        const message = concatBytes([head, ...rowBytes.map((slice) => slice(row))]);
        return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', message)));
      }),
    );
  }
}

/** The bytes of row `i` of a tensor: a view for numbers; for strings, each element with its length. */
function rowSlicer(t: Tensor, rows: number): (row: number) => Uint8Array {
  const width = rows === 0 ? 0 : t.data.length / rows;
  if (t.dtype !== 'string') {
    const data = t.data as TypedArray;
    const rowBytes = width * data.BYTES_PER_ELEMENT;
    return (row) => new Uint8Array(data.buffer, data.byteOffset + row * rowBytes, rowBytes);
  }
  return (row) => lengthPrefixed(t.data.slice(row * width, (row + 1) * width));
}

function bytesOf(t: Tensor): number {
  if (t.dtype !== 'string') return (t.data as TypedArray).byteLength;
  return t.data.reduce((n, s) => n + (typeof s === 'string' ? s.length * 3 : s.length), 0);
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
