import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelConfig, selectVersions } from '@graphpipe/server-core/node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { keyOf } from '../src/repository/layout.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'graphpipe-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const config = async (name: string, text: string) => {
  await writeFile(join(dir, name), text);
  return readModelConfig(join(dir, name));
};

describe('a model config', () => {
  test('YAML or JSON, every setting optional', async () => {
    expect(await config('config.yaml', '')).toEqual({});
    expect(
      await config(
        'iris.config.yaml',
        'name: iris\nversions: { latest: 2 }\noptions: { workers: 2 }\nconcurrency: 4\nmaxQueue: 0\n',
      ),
    ).toEqual({ name: 'iris', versions: { latest: 2 }, options: { workers: 2 }, concurrency: 4, maxQueue: 0 });
    expect(await config('config.json', '{"versions": {"specific": [1, 3]}}')).toEqual({
      versions: { specific: ['1', '3'] },
    });
    expect(await config('config.yml', 'versions: all')).toEqual({ versions: 'all' });
    expect(
      await config(
        'config.yaml',
        'batching: { maxBatchSize: 16, maxDelayMs: 4 }\ncache: { maxMb: 64 }\ndevice: cuda\n',
      ),
    ).toEqual({ batching: { maxBatchSize: 16, maxDelayMs: 4 }, cache: { maxBytes: 64 * 1024 * 1024 }, device: 'cuda' });
    expect(await config('config.yaml', 'batching: { maxBatchSize: 8 }\ncache: false\n')).toEqual({
      batching: { maxBatchSize: 8, maxDelayMs: 2 },
      cache: false,
    });
  });

  test.each([
    [
      'version: 2',
      'config.yaml: unknown setting "version"; the settings are name, versions, options, concurrency, maxQueue, batching, cache, device',
    ],
    ['versions: { latest: 0 }', 'config.yaml: versions.latest must be a whole number of at least 1, got 0'],
    ['versions: latest', 'config.yaml: versions must be "all", { latest: <n> } or { specific: [<n>, …] }'],
    ['versions: { specific: [] }', 'config.yaml: versions must be "all", { latest: <n> } or { specific: [<n>, …] }'],
    ['concurrency: 1.5', 'config.yaml: concurrency must be a whole number of at least 1, got 1.5'],
    ['options: [1]', 'config.yaml: options must be a mapping (passed to the backend)'],
    ['name: [a]', 'config.yaml: name must be a string'],
    ['batching: 8', 'config.yaml: batching must be false or { maxBatchSize: <n>, maxDelayMs: <ms> }'],
    ['batching: { maxBatchSize: 0 }', 'config.yaml: batching.maxBatchSize must be a whole number of at least 1, got 0'],
    ['cache: { maxBytes: 9 }', 'config.yaml: cache must be false or { maxMb: <n> }'],
    ['device: tpu', 'config.yaml: device must be cpu or cuda'],
    ['- a', 'config.yaml: expected a mapping of settings'],
    ['name: "unclosed', 'config.yaml: Missing closing "quote at line 1, column 16:'],
  ])('%s is refused with a line naming the file and the setting', async (text, message) => {
    await expect(config('config.yaml', text)).rejects.toThrow(message);
  });
});

test('version policies pick by number, not by text', () => {
  const present = ['1', '10', '2', '9'];
  expect(selectVersions(present)).toEqual(['10']);
  expect(selectVersions(present, { latest: 2 })).toEqual(['9', '10']);
  expect(selectVersions(present, { specific: ['2', '3'] })).toEqual(['2']);
  expect(selectVersions(present, 'all')).toEqual(['1', '2', '9', '10']);
});

test("a model's key is its file's stem or its folder's name; its config shares it", () => {
  expect(['iris.onnx', 'iris.ort', 'iris.yaml', 'iris.config.yaml', 'iris.config.json', 'iris'].map(keyOf)).toEqual(
    Array(6).fill('iris'),
  );
  expect(keyOf('bert.base')).toBe('bert.base');
});
