import { tensor } from '@graphpipe/client';
import { describe, expect, test } from 'vitest';
import { isProbabilities, stats, tableView, topClasses } from '../src/summary.js';

describe('showing outputs', () => {
  test('probabilities: rows of at least two values in [0, 1] that sum to 1', () => {
    expect(isProbabilities(tensor(new Float32Array([0.7, 0.2, 0.1, 0, 0, 1]), [2, 3]))).toBe(true);
    expect(isProbabilities(tensor(new Float32Array([0.7, 0.2]), [1, 2]))).toBe(false);
    expect(isProbabilities(tensor(new Float32Array([1.5, -0.5]), [1, 2]))).toBe(false);
    expect(isProbabilities(tensor(new Float32Array([1]), [1, 1]))).toBe(false);
    expect(isProbabilities(tensor(new BigInt64Array([0n, 1n]), [1, 2]))).toBe(false);
  });

  test('the top classes of a row, named by the labels when there is one per class', () => {
    const p = tensor(new Float32Array([0.1, 0.7, 0.2]), [1, 3]);
    expect(topClasses(p, 0, 2, ['cat', 'dog', 'eel']).map((c) => c.label)).toEqual(['dog', 'eel']);
    expect(topClasses(p, 0, 1, ['cat']).map((c) => c.label)).toEqual(['class 1']);
  });

  test('a large tensor is summarised: its first rows and columns, and what was left out', () => {
    const big = tensor(new Float32Array(3 * 40 * 20).fill(0.5), [3, 40, 20]);
    const view = tableView(big);
    expect(view.rows).toHaveLength(12);
    expect(view.rows[0]).toHaveLength(10);
    expect([view.omittedRows, view.omittedColumns]).toEqual([120 - 12, 10]);
    expect(view.rowLabels.slice(0, 2)).toEqual(['[0, 0]', '[0, 1]']);
    expect(stats(big)).toEqual({ min: 0.5, max: 0.5, mean: 0.5 });
  });

  test('class indices name their class; text is shown as text', () => {
    expect(tableView(tensor(new BigInt64Array([0n, 2n])), ['a', 'b', 'c']).rows).toEqual([['0 (a)', '2 (c)']]);
    expect(tableView(tensor(['hi']), undefined).rows).toEqual([['hi']]);
    expect(tableView(tensor(new Float64Array([0.123456789]), []), undefined).rows).toEqual([['0.123457']]);
  });
});
