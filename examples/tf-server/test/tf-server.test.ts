import { readFileSync } from 'node:fs';
import { RemoteModel, tensor } from '@graphpipe/client';
import { expect, test } from 'vitest';
import { startTfServer } from '../src/server.js';

const testSet = JSON.parse(readFileSync(new URL('../../../models/tf-iris/test-set.json', import.meta.url), 'utf8'));

test('the example TF server classifies the held-out Iris rows as well as when trained', async () => {
  const { server, engine } = await startTfServer(undefined, { port: 0, logger: false });
  try {
    expect(engine).toMatch(/^tfjs (wasm|cpu|native)/);
    const rows: number[][] = testSet.features;
    const labels: number[] = testSet.labels;
    const { outputs } = await new RemoteModel(server.url).infer(
      tensor(new Float32Array(rows.flat()), [rows.length, 4]),
    );
    const p = outputs[0]!.data as Float32Array;
    let correct = 0;
    rows.forEach((_, r) => {
      const row = Array.from(p.subarray(r * 3, r * 3 + 3));
      if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
    });
    expect(correct / rows.length).toBeCloseTo(testSet.accuracy, 5);
  } finally {
    await server.close();
  }
});
