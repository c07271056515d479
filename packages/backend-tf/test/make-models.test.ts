import { fileURLToPath } from 'node:url';
import { MODELS_DIR, rebuildAndCompare } from '@graphpipe/test-utils';
import { expect, test } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/make-models.ts', import.meta.url));

test('make-models rebuilds the committed TF.js model files byte for byte', async () => {
  const same = await rebuildAndCompare(SCRIPT, MODELS_DIR);
  expect([...same.keys()]).toEqual([
    'tf-conv/model.json',
    'tf-conv/weights.bin',
    'tf-graph-legacy/model.json',
    'tf-graph-legacy/weights.bin',
    'tf-graph/model.json',
    'tf-graph/weights.bin',
    'tf-iris/model.json',
    'tf-iris/test-set.json',
    'tf-iris/weights.bin',
  ]);
  for (const [file, equal] of same) expect(equal, file).toBe(true);
});
