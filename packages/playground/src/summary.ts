/** What the page shows of an output: a table of its first values, statistics, top classes. */
import { elementCount, type Tensor } from '@graphpipe/client';
import { formatNumber } from './editor.js';

/** The part of a tensor a table shows: rows along the last axis, the rest left out and counted. */
export interface TableView {
  /** Index of each row shown, e.g. "[0]" or "[2, 1]"; empty for a scalar. */
  readonly rowLabels: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly omittedRows: number;
  readonly omittedColumns: number;
}

export function tableView(t: Tensor, labels?: readonly string[], maxRows = 12, maxColumns = 10): TableView {
  const columns = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
  const leading = t.shape.slice(0, -1);
  const rowCount = columns === 0 ? 0 : elementCount(t.shape) / columns;
  const shownRows = Math.min(rowCount, maxRows);
  const shownColumns = Math.min(columns, maxColumns);
  const rows: string[][] = [];
  const rowLabels: string[] = [];
  for (let r = 0; r < shownRows; r++) {
    const row: string[] = [];
    for (let c = 0; c < shownColumns; c++) row.push(valueText(t, r * columns + c, labels));
    rows.push(row);
    if (t.shape.length > 0) rowLabels.push(leading.length ? `[${unravel(r, leading).join(', ')}]` : '');
  }
  return { rowLabels, rows, omittedRows: rowCount - shownRows, omittedColumns: columns - shownColumns };
}

/** One element as text; an integer class index also names its class when labels are known. */
export function valueText(t: Tensor, i: number, labels?: readonly string[]): string {
  if (t.dtype === 'string') {
    const s = t.data[i]!;
    return typeof s === 'string' ? s : new TextDecoder().decode(s);
  }
  const v = (t.data as ArrayLike<number | bigint>)[i]!;
  if (typeof v === 'bigint' || t.dtype.includes('int')) {
    const label = labelsForIndices(t, labels)?.[Number(v)];
    return label === undefined ? String(v) : `${v} (${label})`;
  }
  if (t.dtype === 'float16') return String(v);
  return Number.isInteger(v) ? String(v) : formatNumber(Number(v.toPrecision(6)), 'float64');
}

/** Labels apply to an integer output of one value per row: a class index. */
function labelsForIndices(t: Tensor, labels: readonly string[] | undefined): readonly string[] | undefined {
  return labels?.length && t.shape.length <= 1 ? labels : undefined;
}

function unravel(index: number, dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length);
  for (let d = dims.length - 1; d >= 0; d--) {
    out[d] = index % dims[d]!;
    index = Math.floor(index / dims[d]!);
  }
  return out;
}

export interface Stats {
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** Minimum, maximum and mean of a numeric tensor (undefined for text and empty tensors). */
export function stats(t: Tensor): Stats | undefined {
  if (t.dtype === 'string' || t.dtype === 'float16' || t.data.length === 0) return undefined;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  const data = t.data as ArrayLike<number | bigint>;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, mean: sum / t.data.length };
}

/**
 * True for scores that read as probabilities: floats along a last axis of at least two classes,
 * each in [0, 1], each row summing to 1 (as a softmax gives).
 */
export function isProbabilities(t: Tensor): boolean {
  if ((t.dtype !== 'float32' && t.dtype !== 'float64') || t.shape.length === 0) return false;
  const classes = t.shape[t.shape.length - 1]!;
  if (classes < 2 || t.data.length === 0) return false;
  const data = t.data as Float32Array | Float64Array;
  for (let start = 0; start < data.length; start += classes) {
    let sum = 0;
    for (let i = start; i < start + classes; i++) {
      const p = data[i]!;
      if (!(p >= -1e-6 && p <= 1 + 1e-6)) return false;
      sum += p;
    }
    if (Math.abs(sum - 1) > 1e-3) return false;
  }
  return true;
}

export interface ClassScore {
  readonly index: number;
  readonly label: string;
  readonly p: number;
}

/** The `k` most likely classes of row `row`, named by `labels` when there is one per class. */
export function topClasses(t: Tensor, row: number, k: number, labels?: readonly string[]): ClassScore[] {
  const classes = t.shape[t.shape.length - 1]!;
  const data = t.data as Float32Array | Float64Array;
  const named = labels?.length === classes ? labels : undefined;
  const scores: ClassScore[] = [];
  for (let i = 0; i < classes; i++) {
    scores.push({ index: i, label: named?.[i] ?? `class ${i}`, p: data[row * classes + i]! });
  }
  return scores.sort((a, b) => b.p - a.p).slice(0, k);
}
