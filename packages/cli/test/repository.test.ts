import { rm, symlink, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { ModelRepository, type ModelRepositoryOptions, type ServeOptions, serve } from '@graphpipe/server-core/node';
import { rawPostStatus, closeAfter } from '@graphpipe/test-utils';
import { pino } from 'pino';
import { describe, expect, test, vi } from 'vitest';
import { ADMIN_TOKEN, addingModel, adminPost, importer, indexOf, put, useTempDirs } from './repository-helpers.js';

const tempDir = useTempDirs();
const closing = closeAfter('all');

async function serveRepository(
  dir: string,
  { watch = false, settleMs, ...options }: Partial<ModelRepositoryOptions> & ServeOptions = {},
) {
  const repository = new ModelRepository(dir, { importer, watch, settleMs });
  const server = closing(await serve([], { port: 0, logger: false, adminToken: ADMIN_TOKEN, repository, ...options }));
  return { server, repository };
}

const iris = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]), [2, 4]);
const zero = tensor(new Float32Array([0]), [1]);
const first = (t: Tensor | undefined) => Number((t!.data as ArrayLike<number | bigint>)[0]);
const labels = (t: Tensor | undefined) => Array.from(t!.data as BigInt64Array, Number);

/** What `model` (a URL under the server) answers to x = 0: with adding models, the version that ran. */
const versionAnswering = async (url: string) => first((await new RemoteModel(url).infer(zero)).outputs[0]);

describe('a model repository', () => {
  test('serves every model by name: ONNX files, a TF.js folder, a composition, numbered versions', async () => {
    const dir = await tempDir();
    await put(dir, 'classifier.onnx', { bundled: 'iris-classifier.onnx' }); // declares the name iris-classifier
    await put(dir, 'tf-iris', { bundled: 'tf-iris' });
    await put(dir, 'tiny.onnx', { bundled: 'tiny-conv.onnx' });
    await put(dir, 'tiny.config.yaml', 'name: conv\nconcurrency: 2\n');
    await put(dir, 'ensemble.yaml', ENSEMBLE);
    await put(dir, 'adder/1/model.onnx', addingModel(1));
    await put(dir, 'adder/2/model.onnx', addingModel(2));
    await put(dir, 'adder/config.json', '{"versions": "all"}');
    await put(dir, 'README.md', 'not a model');
    await put(dir, 'notes/todo.txt', 'not a model either');
    const { server } = await serveRepository(dir);
    const { url } = server;

    const { byName } = await new RemoteModel(`${url}/models/iris-classifier`).infer(iris, { outputNames: ['label'] });
    expect(labels(byName.label)).toEqual([0, 2]);
    const tf = await new RemoteModel(`${url}/models/tf-iris`).infer(iris);
    expect(tf.outputs[0]!.shape).toEqual([2, 3]);
    const ensemble = await new RemoteModel(`${url}/models/iris-ensemble`).infer(iris, { outputNames: ['label'] });
    expect(labels(ensemble.byName.label)).toEqual([0, 2]);
    const conv = await new RemoteModel(`${url}/models/conv`).infer(
      tensor(new Float32Array(3 * 32 * 32), [1, 3, 32, 32]),
    );
    expect(conv.outputs[0]!.shape).toEqual([1, 10]);
    expect(await versionAnswering(`${url}/models/adder`)).toBe(2); // the latest
    expect(await versionAnswering(`${url}/models/adder/versions/1`)).toBe(1);

    const ready = (name: string, version = '1') => ({ name, version, state: 'READY' });
    expect(await indexOf(server)).toEqual([
      ready('adder', '1'),
      ready('adder', '2'),
      ready('conv'),
      ready('iris-classifier'),
      ready('iris-ensemble'),
      ready('tf-iris'),
    ]);
    const listed = (await (await fetch(`${url}/models`)).json()) as { name: string }[];
    expect(listed.map((m) => m.name).sort()).toEqual(['adder', 'conv', 'iris-classifier', 'iris-ensemble', 'tf-iris']);
    // Several models and no default: the root names them.
    const root = await fetch(url, { method: 'POST', body: new Uint8Array(0) });
    expect([root.status, await root.text()]).toEqual([404, expect.stringContaining('"iris-classifier"')]);
  });

  test("a model's config turns on its row cache and its batching, and says where it runs", async () => {
    const dir = await tempDir();
    await put(dir, 'cached.onnx', addingModel(5));
    await put(dir, 'cached.config.yaml', 'cache: { maxMb: 1 }\n');
    await put(dir, 'batched.onnx', addingModel(7));
    await put(dir, 'batched.config.yaml', 'batching: { maxBatchSize: 4, maxDelayMs: 50 }\n');
    await put(dir, 'gpu.onnx', addingModel(9));
    await put(dir, 'gpu.config.yaml', 'device: cuda\n');
    const { server } = await serveRepository(dir);
    for (let i = 0; i < 3; i++) expect(await versionAnswering(`${server.url}/models/cached`)).toBe(5);
    const batched = await Promise.all([0, 1, 2, 3].map(() => versionAnswering(`${server.url}/models/batched`)));
    expect(batched).toEqual([7, 7, 7, 7]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/graphpipe_cache_rows_total\{model="cached",version="1",result="hit"\} 2/);
    expect(metrics).toMatch(/graphpipe_batch_rows_sum\{model="batched",version="1"\} 4/);
    // No CUDA here: the model that asks for it fails to load, and says what to install.
    const gpu = ((await indexOf(server)) as { name: string; state: string; reason?: string }[]).find(
      (m) => m.name === 'gpu',
    );
    expect(gpu).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringContaining("device 'cuda' needs") });
  });

  test('fifty reloads under traffic to it and another model: no request fails, each answer is the old or the new version', async () => {
    const dir = await tempDir();
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    await put(dir, 'iris.onnx', { bundled: 'iris-classifier.onnx' });
    const { server, repository } = await serveRepository(dir);
    const unloaded: string[] = [];
    repository.on('unloaded', ({ version }) => unloaded.push(version));
    let latest = 1;
    let running = true;
    const counts = { requests: 0, errors: [] as string[], byVersion: {} as Record<number, number>, other: 0 };
    const counter = new RemoteModel(`${server.url}/models/counter`);
    const other = new RemoteModel(`${server.url}/models/iris-classifier`);
    const traffic = async (call: () => Promise<void>) => {
      while (running) {
        counts.requests++;
        await call().catch((err: unknown) => counts.errors.push(String(err)));
      }
    };
    const toCounter = async () => {
      const floor = latest;
      const version = first((await counter.infer(zero)).outputs[0]);
      // Never older than what served when it was sent, never newer than what has been loaded.
      if (version < floor || version > latest + 1)
        counts.errors.push(`version ${version} answered; ${floor}…${latest + 1} expected`);
      counts.byVersion[version] = (counts.byVersion[version] ?? 0) + 1;
    };
    const toOther = async () => {
      const { byName } = await other.infer(iris, { outputNames: ['label'] });
      if (labels(byName.label).join() !== '0,2') counts.errors.push(`iris answered ${labels(byName.label)}`);
      counts.other++;
    };
    const clients = [toCounter, toCounter, toOther].map(traffic);

    const cycles = 50;
    for (let version = 2; version <= cycles + 1; version++) {
      await put(dir, `counter/${version}/model.onnx`, addingModel(version));
      // Each load brings in the new version and unloads the old one (the policy serves the latest).
      expect(await adminPost(server, '/v2/repository/models/counter/load')).toEqual({ status: 200, body: '' });
      latest = version;
    }
    running = false;
    await Promise.all(clients);
    const versionsAnswering = Object.keys(counts.byVersion).length;
    console.log(
      `reload under traffic: ${JSON.stringify({ cycles, requests: counts.requests, errors: counts.errors.length, other: counts.other, versionsAnswering, byVersion: counts.byVersion })}`,
    );
    expect(counts.errors).toEqual([]);
    expect(counts.other).toBeGreaterThan(0);
    expect(versionsAnswering).toBeGreaterThan(1);
    await vi.waitFor(() => expect(unloaded).toHaveLength(cycles));
    expect(await indexOf(server)).toEqual([
      { name: 'counter', version: String(cycles + 1), state: 'READY' },
      { name: 'iris-classifier', version: '1', state: 'READY' },
    ]);
  }, 120_000);

  test('a corrupt replacement keeps the old version serving; the load, the index and the metrics say why', async () => {
    const dir = await tempDir();
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    const { server } = await serveRepository(dir);
    const url = `${server.url}/models/counter`;

    await put(dir, 'counter/2/model.onnx', 'not an onnx model');
    const failed = await adminPost(server, '/v2/repository/models/counter/load');
    expect(failed.status).toBe(400);
    expect(JSON.parse(failed.body).error).toMatch(/^failed to load model "counter": version 2: cannot load ONNX model/);
    expect(await versionAnswering(url)).toBe(1);
    expect(await indexOf(server)).toEqual([
      { name: 'counter', version: '1', state: 'READY' },
      { name: 'counter', version: '2', state: 'UNAVAILABLE', reason: expect.stringMatching(/cannot load ONNX model/) },
    ]);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('graphpipe_model_load_failures_total{model="counter",version="2"} 1');
    expect(metrics).toContain('graphpipe_model_state{model="counter",version="2",state="UNAVAILABLE"} 1');

    // The version serving, overwritten in place with garbage, keeps serving from memory.
    await put(dir, 'counter/2/model.onnx', addingModel(2));
    expect((await adminPost(server, '/v2/repository/models/counter/load')).status).toBe(200);
    await put(dir, 'counter/2/model.onnx', new Uint8Array(100));
    expect((await adminPost(server, '/v2/repository/models/counter/load')).status).toBe(400);
    expect(await versionAnswering(url)).toBe(2);
    expect(await indexOf(server)).toEqual([
      { name: 'counter', version: '2', state: 'READY', reason: expect.stringMatching(/cannot load ONNX model/) },
    ]);
  });

  test('unload takes a model out until it is loaded again; version policies pick what serves', async () => {
    const dir = await tempDir();
    for (const v of [1, 2, 3]) await put(dir, `latest/${v}/model.onnx`, addingModel(v));
    for (const v of [1, 2, 3]) await put(dir, `picked/${v}/m.onnx`, addingModel(v));
    await put(dir, 'latest/config.yaml', 'versions: { latest: 2 }\n');
    await put(dir, 'picked/config.yml', 'versions:\n  specific: [1, 3, 4]\n');
    const { server } = await serveRepository(dir);
    const versions = async (name: string) =>
      ((await indexOf(server)) as { name: string; version?: string; state: string }[])
        .filter((m) => m.name === name)
        .map((m) => `${m.version} ${m.state}`);
    expect(await versions('latest')).toEqual(['2 READY', '3 READY']);
    expect(await versions('picked')).toEqual(['1 READY', '3 READY', '4 UNAVAILABLE']);

    expect(await adminPost(server, '/v2/repository/models/latest/unload')).toEqual({ status: 200, body: '' });
    expect((await fetch(`${server.url}/models/latest`)).status).toBe(404);
    await vi.waitFor(async () => expect(await versions('latest')).toEqual(['undefined UNAVAILABLE']));
    expect(await indexOf(server, true)).not.toContainEqual(expect.objectContaining({ name: 'latest' }));
    expect(await adminPost(server, '/v2/repository/models/latest/load')).toEqual({ status: 200, body: '' });
    expect(await versionAnswering(`${server.url}/models/latest`)).toBe(3);

    const unknown = await adminPost(server, '/v2/repository/models/nothing/load');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error).toMatch(
      /^no model "nothing" in the repository .*; it has "latest", "picked"$/,
    );
    const withFiles = await adminPost(server, '/v2/repository/models/latest/load', {
      body: '{"parameters": {"file:1/model.onnx": "AAAA"}}',
    });
    expect(withFiles.status).toBe(400);
  });

  test('loads and unloads of names the repository does not have never label the metrics', async () => {
    const dir = await tempDir();
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    const { server } = await serveRepository(dir);
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    expect((await adminPost(server, '/v2/repository/models/counter/load')).status).toBe(200);
    const before = (await scrape()).length;
    for (let i = 0; i < 30; i++) {
      const name = `nobody-${i}-${'x'.repeat(10_000)}`;
      expect((await adminPost(server, `/v2/repository/models/${name}/load`)).status).toBe(404);
      expect((await adminPost(server, `/v2/repository/models/${name}/unload`)).status).toBe(404);
    }
    const text = await scrape();
    expect(text).not.toContain('nobody-');
    expect(text.length - before).toBeLessThan(20_000);
    // A name it has still labels its loads.
    expect(text).toContain(
      'graphpipe_requests_total{protocol="v2",kind="repository-load",status="200",model="counter",version=""} 1',
    );
  });

  test('the repository API needs the admin token (401 without, 403 wrong) and is off without one', async () => {
    const dir = await tempDir();
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    const { server } = await serveRepository(dir);
    for (const path of [
      '/v2/repository/index',
      '/v2/repository/models/counter/load',
      '/v2/repository/models/counter/unload',
    ]) {
      const missing = await adminPost(server, path, { token: null });
      expect([missing.status, JSON.parse(missing.body).error]).toEqual([
        401,
        'this administration route needs an Authorization: Bearer <token> header',
      ]);
      const wrong = await adminPost(server, path, { token: `${ADMIN_TOKEN}x` });
      expect([wrong.status, JSON.parse(wrong.body).error]).toEqual([403, 'wrong token for this administration route']);
    }
    expect(await versionAnswering(`${server.url}/models/counter`)).toBe(1); // never unloaded

    const { server: noAdmin } = await serveRepository(dir, { adminToken: undefined });
    const off = await adminPost(noAdmin, '/v2/repository/models/counter/unload');
    expect([off.status, JSON.parse(off.body).error]).toEqual([
      403,
      expect.stringMatching(/^model administration is off/),
    ]);
  });

  test.each([
    ['..', '/v2/repository/models/%2e%2e/load', 400],
    ['an encoded slash', '/v2/repository/models/..%2F..%2Fetc/load', 400],
    ['an absolute path', '/v2/repository/models/%2Fetc%2Fpasswd/unload', 400],
    ['NUL', '/v2/repository/models/counter%00/load', 400],
    ['dot segments', '/v2/repository/models/../../etc/load', 400],
    ['bad percent-encoding', '/v2/repository/models/%E0%A4%A/load', 400],
    // A slash as such separates path segments: no route has that many.
    ['a slash', '/v2/repository/models/counter/1/load', 404],
  ])('a name with %s is refused (%s) and never reaches the repository', async (_, path, status) => {
    const dir = await tempDir();
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    const { server, repository } = await serveRepository(dir);
    const load = vi.spyOn(repository, 'load');
    const unload = vi.spyOn(repository, 'unload');
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect(await rawPostStatus(server.port, path, { headers })).toBe(status);
    expect(load).not.toHaveBeenCalled();
    expect(unload).not.toHaveBeenCalled();
  });

  test('a link within the repository is followed; one leading out of it is not', async () => {
    const outside = await tempDir();
    await put(outside, 'secret.onnx', { bundled: 'two-in-two-out.onnx' });
    const dir = await tempDir();
    await put(dir, '.store/iris.onnx', { bundled: 'iris-classifier.onnx' });
    await symlink(join(dir, '.store/iris.onnx'), join(dir, 'linked.onnx'));
    await symlink(join(outside, 'secret.onnx'), join(dir, 'escape.onnx'));
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    await symlink(outside, join(dir, 'counter/2'));
    const { server } = await serveRepository(dir);
    // Version 2, the latest, is the link: it is refused, and the model has no version to serve.
    expect(await indexOf(server)).toEqual([
      {
        name: 'counter',
        version: '2',
        state: 'UNAVAILABLE',
        reason: `version 2 links to ${outside}, outside the repository`,
      },
      {
        name: 'escape',
        state: 'UNAVAILABLE',
        reason: `escape.onnx links to ${join(outside, 'secret.onnx')}, outside the repository; only links within it are followed`,
      },
      { name: 'iris-classifier', version: '1', state: 'READY' },
    ]);
    expect((await adminPost(server, '/v2/repository/models/escape/load')).status).toBe(400);
    expect((await fetch(`${server.url}/models/escape`)).status).toBe(404);
    expect((await fetch(`${server.url}/models/counter`)).status).toBe(503);
  });

  test('the watcher loads a new model, reloads a changed one and unloads a removed one', async () => {
    const dir = await tempDir();
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    const { server, repository } = await serveRepository(dir, { watch: true, settleMs: 50 });
    const counter = `${server.url}/models/counter`;
    const events: string[] = [];
    repository.on('loaded', ({ name, version }) => events.push(`loaded ${name} ${version}`));
    repository.on('unloaded', ({ name, version }) => events.push(`unloaded ${name} ${version}`));
    const until = (event: string) => vi.waitFor(() => expect(events).toContain(event), { timeout: 10_000 });

    await put(dir, 'late.onnx', { bundled: 'two-in-two-out.onnx' });
    await until('loaded two-in-two-out 1');
    await put(dir, 'counter/2/model.onnx', addingModel(2));
    await until('unloaded counter 1');
    expect(await versionAnswering(counter)).toBe(2);
    await put(dir, 'counter/2/model.onnx', addingModel(20)); // the same version, changed in place
    await until('unloaded counter 2');
    expect(await versionAnswering(counter)).toBe(20);
    await unlink(join(dir, 'late.onnx'));
    await until('unloaded two-in-two-out 1');
    expect((await fetch(`${server.url}/models/two-in-two-out`)).status).toBe(404);
    expect(events).toEqual([
      'loaded two-in-two-out 1',
      'loaded counter 2',
      'unloaded counter 1',
      'loaded counter 2',
      'unloaded counter 2',
      'unloaded two-in-two-out 1',
    ]);
  });

  test('the whole directory removed while watched: the server keeps serving what it has, and logs why', async () => {
    const dir = await tempDir();
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const { server } = await serveRepository(dir, { watch: true, settleMs: 50, logger });
    await rm(dir, { recursive: true, force: true });
    // Reading the directory fails once the watcher reports the change; before, that rejection
    // went unhandled and stopped the process.
    await vi.waitFor(() => expect(lines.join('')).toContain('updating a model from the repository failed'), {
      timeout: 10_000,
    });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await versionAnswering(`${server.url}/models/counter`)).toBe(1);
  });
});

const ENSEMBLE = `name: iris-ensemble
returns: [probabilities, label]
stages:
  - name: vote
    members:
      onnx-iris: { onnx: classifier.onnx }
      tf-iris: { tf: tf-iris }
    combine: { probabilities: mean }
  - name: label
    argmax: { input: probabilities, output: label, shape: [-1, 3] }
`;

test('the administration routes take gzip and deflate bodies, as Triton does', async () => {
  const dir = await tempDir();
  await put(dir, 'counter/1/model.onnx', addingModel(1));
  const { server } = await serveRepository(dir);
  for (const [coding, zip] of [
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ] as const) {
    const res = await fetch(`${server.url}/v2/repository/index`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-encoding': coding },
      body: zip('{"ready": true}'),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject([{ name: 'counter', state: 'READY' }]);
  }
});
