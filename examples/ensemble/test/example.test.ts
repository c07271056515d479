import { expect, test } from 'vitest';
import { runExample } from '../src/main.js';

for (const fromConfig of [false, true]) {
  test(`the example serves both models and their ensemble${fromConfig ? ' (from ensemble.yaml)' : ''}, end to end`, async () => {
    const started = performance.now();
    const printed: string[] = [];
    const rows = await runExample({ fromConfig, print: (text) => printed.push(text) });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      expect(row.ensemble.label).toBe(row.truth);
      // Where both models pick the ensemble's class, its probability is the mean of theirs.
      if (row.onnx.label === row.ensemble.label && row.tf.label === row.ensemble.label) {
        expect(row.ensemble.p).toBeCloseTo((row.onnx.p + row.tf.p) / 2, 5);
      }
    }
    expect(new Set(rows.map((r) => r.truth))).toEqual(new Set(['setosa', 'versicolor', 'virginica']));
    expect(printed.join('\n')).toContain('ensemble (mean)');
  });
}
