import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '@graphpipe/protocol';
import { expect, test } from 'vitest';
import { ensureResNet18 } from '../scripts/resnet18.js';
import { createOnnxBackend } from '../src/index.js';
import { infer } from './helpers.js';

test('the ResNet-18-shaped benchmark model builds on demand, loads and classifies 224×224×3 images', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'graphpipe-resnet-'));
  try {
    const path = ensureResNet18(join(dir, 'resnet18.onnx'));
    expect(statSync(path).size).toBeGreaterThan(40e6); // 11.7 M float32 weights
    expect(ensureResNet18(path)).toBe(path); // built once, then reused
    const backend = await createOnnxBackend(path);
    expect(backend.metadata.inputs).toEqual([{ name: 'image', dtype: 'float32', shape: [-1, 224, 224, 3] }]);
    const image = new Float32Array(2 * 224 * 224 * 3).map((_, i) => (i % 251) / 251);
    const { scores } = await infer(backend, { image: tensor(image, [2, 224, 224, 3]) });
    expect(scores!.shape).toEqual([2, 1000]);
    const data = scores!.data as Float32Array;
    for (const row of [0, 1])
      expect(data.subarray(row * 1000, row * 1000 + 1000).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    await backend.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
