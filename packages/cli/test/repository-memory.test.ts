import { expect, test, vi } from 'vitest';
import { cliBin, startUntil, stop } from './helpers.js';
import { ADMIN_TOKEN, heavyModel, put, useTempDirs } from './repository-helpers.js';

const tempDir = useTempDirs();
const MODELS = 10;
const MIB = 16;

// glibc keeps large freed blocks for reuse unless its mmap threshold is fixed (as the README
// advises for servers that unload models); other allocators return them by themselves.
const allocator = { MALLOC_MMAP_THRESHOLD_: '131072' };

test(`unloading ${MODELS} loaded models of ${MIB} MiB gives their memory back`, async () => {
  const dir = await tempDir();
  const { child, match } = await startUntil(
    process.execPath,
    [cliBin, 'serve', dir, '--port', '0', '--no-watch', '--quiet', '--admin-token', ADMIN_TOKEN],
    /serving 0 model\(s\) from .* on (http:\/\/\S+)/,
    allocator,
  );
  const url = match[1]!;
  const admin = async (path: string) => {
    const res = await fetch(`${url}/v2/repository${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return res;
  };
  const rssMiB = async () => {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    return Number(/^process_resident_memory_bytes (\d+)/m.exec(metrics)![1]) / 2 ** 20;
  };
  try {
    const model = heavyModel(MIB);
    // One model first, so what onnxruntime sets up once (thread pools, allocators) is in the baseline.
    await put(dir, 'warm-up.onnx', model);
    await admin('/models/warm-up/load');
    await admin('/models/warm-up/unload');
    for (let i = 0; i < MODELS; i++) await put(dir, `heavy-${i}.onnx`, model);
    const before = await rssMiB();
    for (let i = 0; i < MODELS; i++) await admin(`/models/heavy-${i}/load`);
    const loaded = await rssMiB();
    for (let i = 0; i < MODELS; i++) await admin(`/models/heavy-${i}/unload`);
    // Unloaded means closed: the index says "unloaded" once the last request let go.
    await vi.waitFor(async () => {
      const index = (await (await admin('/index')).json()) as { reason?: string }[];
      expect(index.every((m) => m.reason === 'unloaded')).toBe(true);
    });
    const after = await rssMiB();
    const figures = { before, loaded, after }; // MiB
    console.log(
      `RSS around unloading ${MODELS} models of ${MIB} MiB: ${JSON.stringify(figures, (_, v) => (typeof v === 'number' ? Math.round(v) : v))} MiB`,
    );
    // Most of the models' memory shows; V8 may collect garbage of its own in between (the server
    // runs with room in its old generation, so "before" can hold some).
    expect(loaded - before).toBeGreaterThan(MODELS * MIB * 0.75);
    expect(after - before).toBeLessThan((loaded - before) / 4);
  } finally {
    await stop(child, 'SIGINT');
  }
}, 120_000);
