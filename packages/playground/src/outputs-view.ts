/** Each output: dtype and shape, a chart of the top classes for probabilities, its values, a .npy download. */
import { elementCount, type Tensor, toNpy } from '@graphpipe/client';
import { h } from './dom.js';
import type { NamedTensor } from '@graphpipe/protocol/v2';
import { isProbabilities, stats, tableView, topClasses } from './summary.js';

const CHART_ROWS = 4;
const TOP_K = 5;

/** Object URLs of the last answer's downloads, released when the next one is shown. */
let downloads: string[] = [];

export function renderOutputs(outputs: readonly NamedTensor[], labels: readonly string[] | undefined): HTMLElement[] {
  for (const url of downloads) URL.revokeObjectURL(url);
  downloads = [];
  return outputs.map(({ name, tensor }) => renderOutput(name, tensor, labels));
}

function renderOutput(name: string, t: Tensor, labels: readonly string[] | undefined): HTMLElement {
  const count = elementCount(t.shape);
  const table = tableView(t, labels);
  const summary = stats(t);
  const shownAll = table.omittedRows === 0 && table.omittedColumns === 0;
  const url = URL.createObjectURL(
    new Blob([toNpy(t) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
  );
  downloads.push(url);
  return h(
    'article',
    { class: 'output', 'data-output': name },
    h('h3', {}, name),
    h('p', { class: 'meta' }, `${t.dtype} [${t.shape.join(', ')}] · ${count} value${count === 1 ? '' : 's'}`),
    isProbabilities(t) ? chart(t, labels) : undefined,
    h('div', { class: 'scroll' }, valuesTable(name, table)),
    shownAll
      ? undefined
      : h(
          'p',
          { class: 'hint' },
          `Showing ${table.rows.length} of ${table.rows.length + table.omittedRows} rows` +
            (table.omittedColumns
              ? `, ${table.rows[0]?.length ?? 0} of ${(table.rows[0]?.length ?? 0) + table.omittedColumns} columns`
              : '') +
            (summary ? `; min ${round(summary.min)}, max ${round(summary.max)}, mean ${round(summary.mean)}` : ''),
        ),
    h('a', { href: url, download: `${name.replace(/[^\w.-]+/g, '_')}.npy` }, `Download ${name} as .npy`),
  );
}

function valuesTable(name: string, view: ReturnType<typeof tableView>): HTMLTableElement {
  const labelled = view.rowLabels.some(Boolean);
  return h(
    'table',
    { class: 'values', 'aria-label': `Values of ${name}` },
    h(
      'tbody',
      {},
      ...view.rows.map((row, r) =>
        h(
          'tr',
          {},
          labelled ? h('th', { scope: 'row' }, view.rowLabels[r]) : undefined,
          ...row.map((cell) => h('td', {}, cell)),
          view.omittedColumns ? h('td', {}, '…') : undefined,
        ),
      ),
      view.omittedRows ? h('tr', {}, h('td', { colspan: String((view.rows[0]?.length ?? 0) + 2) }, '…')) : undefined,
    ),
  );
}

function chart(t: Tensor, labels: readonly string[] | undefined): HTMLElement {
  const rows = elementCount(t.shape) / t.shape[t.shape.length - 1]!;
  const figures: HTMLElement[] = [];
  for (let row = 0; row < Math.min(rows, CHART_ROWS); row++) {
    const top = topClasses(t, row, TOP_K, labels);
    figures.push(
      h(
        'figure',
        {},
        h('figcaption', {}, rows > 1 ? `Top classes, row ${row}` : 'Top classes'),
        h(
          'ol',
          { class: 'bars' },
          ...top.map(({ label, p }) => {
            const bar = h('span', { class: 'bar', role: 'presentation' });
            bar.style.width = `${(p * 100).toFixed(1)}%`;
            return h(
              'li',
              {},
              h('span', { class: 'label' }, label),
              h('span', {}, bar),
              h('span', { class: 'pct' }, `${(p * 100).toFixed(1)}%`),
            );
          }),
        ),
      ),
    );
  }
  return h('div', { class: 'chart' }, ...figures);
}

const round = (v: number) => String(Number(v.toPrecision(4)));
