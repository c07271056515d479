import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { MODELS_DIR } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('../scripts/make-models.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test('make-models rebuilds the committed model files byte for byte', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gp-models-'));
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', SCRIPT, out], { cwd: REPO_ROOT });
    const files = readdirSync(out).sort();
    expect(files).toContain('iris-classifier.onnx');
    for (const file of files)
      expect(readFileSync(join(out, file)).equals(readFileSync(join(MODELS_DIR, file))), file).toBe(true);
  } finally {
    rmSync(out, { recursive: true });
  }
});
