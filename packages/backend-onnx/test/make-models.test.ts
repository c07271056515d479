import { fileURLToPath } from 'node:url';
import { MODELS_DIR, rebuildAndCompare } from '@graphpipe/test-utils';
import { expect, test } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../scripts/make-models.ts', import.meta.url));

test('make-models rebuilds the committed model files byte for byte', async () => {
  const same = await rebuildAndCompare(SCRIPT, MODELS_DIR);
  expect([...same.keys()]).toContain('iris-classifier.onnx');
  for (const [file, equal] of same) expect(equal, file).toBe(true);
});
