import { RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { encodeInferRequest } from '@graphpipe/protocol';
import { createFunctionBackend, ModelRegistry } from '@graphpipe/server-core';
import { rawPostStatus } from '@graphpipe/test-utils';
import { describe, expect, test } from 'vitest';
import { gate, post, text, useServers } from './helpers.js';

const start = useServers();
const x = tensor(new Float32Array([1, 2]));
const adding = (name: string, k: number, version?: string) =>
  createFunctionBackend(
    (inputs) =>
      tensor(
        (inputs.input0!.data as Float32Array).map((v) => v + k),
        inputs.input0!.shape,
      ),
    {
      name,
      version,
    },
  );
const values = (t: Tensor | undefined) => Array.from(t!.data as Float32Array);

describe('several models in one server', () => {
  test('each is served by name; GET /models lists them; the root needs a default', async () => {
    const { url } = await start([adding('ten', 10), adding('hundred', 100)]);
    expect(values((await new RemoteModel(`${url}/models/ten`).infer(x)).outputs[0])).toEqual([11, 12]);
    expect(values((await new RemoteModel(`${url}/models/hundred`).infer(x)).outputs[0])).toEqual([101, 102]);
    expect(values((await new RemoteModel(`${url}/models/ten/versions/1`).infer(x)).outputs[0])).toEqual([11, 12]);
    expect((await new RemoteModel(`${url}/models/hundred`).metadata()).name).toBe('hundred');
    expect(await (await fetch(`${url}/models`)).json()).toEqual([
      { name: 'ten', versions: [{ version: '1', state: 'READY' }] },
      { name: 'hundred', versions: [{ version: '1', state: 'READY' }] },
    ]);
    expect(((await (await fetch(`${url}/models/hundred`)).json()) as { Name: string }).Name).toBe('hundred');

    const root = await post(url, encodeInferRequest({ inputs: [x] }));
    expect(root.status).toBe(404);
    expect(text(root.bytes)).toMatch(/several models and no default; name one .*"ten", "hundred"/);
    const unknown = await post(`${url}/models/thousand`, encodeInferRequest({ inputs: [x] }));
    expect([unknown.status, text(unknown.bytes)]).toEqual([
      404,
      'no model "thousand"; this server has "ten", "hundred"\n',
    ]);
    const noVersion = await post(`${url}/models/ten/versions/7`, encodeInferRequest({ inputs: [x] }));
    expect([noVersion.status, text(noVersion.bytes)]).toEqual([
      404,
      'version "7" of model "ten" is not served; its versions are "1"\n',
    ]);
  });

  test('with defaultModel the root runs that one, as the original clients expect', async () => {
    const { url } = await start([adding('ten', 10), adding('hundred', 100)], { defaultModel: 'hundred' });
    expect(values((await new RemoteModel(url).infer(x)).outputs[0])).toEqual([101, 102]);
    expect(((await (await fetch(url)).json()) as { Name: string }).Name).toBe('hundred');
  });

  test.each([
    ['..', '/models/%2e%2e'],
    ['a slash', '/models/a%2Fb'],
    ['NUL', '/models/a%00b'],
    ['bad percent-encoding', '/models/%E0%A4%A'],
    ['dot segments', '/models/../../etc/passwd'],
    ['a dotted version', '/models/ten/versions/..'],
  ])('a model name or version with %s is 400, and never reaches the default model', async (_, path) => {
    const { port } = await start([adding('ten', 10)]);
    const status = await rawPostStatus(port, path, { body: encodeInferRequest({ inputs: [x] }) });
    expect(status).toBe(400);
  });
});

describe('versions', () => {
  test('a replaced version finishes the requests it started; new ones go to the new version', async () => {
    const release = gate();
    const slow = createFunctionBackend(async () => {
      await release.promise;
      return tensor(new Float32Array([1]), [1]);
    });
    let closed = 0;
    const { url, core } = await start([{ ...slow, infer: slow.infer.bind(slow), close: async () => void closed++ }]);
    const name = slow.metadata.name;
    const inFlight = new RemoteModel(url).infer(x);
    await expect.poll(() => core.models.find().running).toBe(1);
    core.models.add(adding(name, 2), { version: '1' }); // the same version, replaced
    expect(values((await new RemoteModel(url).infer(x)).outputs[0])).toEqual([3, 4]);
    expect(closed).toBe(0); // still serving the request that started on it
    release.open();
    expect(values((await inFlight).outputs[0])).toEqual([1]);
    await expect.poll(() => closed).toBe(1);
  });

  test('a replaced version whose close fails leaves the process running; the new version serves', async () => {
    const models = new ModelRegistry();
    const failing = adding('m', 1);
    models.add({
      ...failing,
      infer: failing.infer.bind(failing),
      close: () => Promise.reject(new Error('close failed')),
    });
    const next = models.add(adding('m', 2));
    // An unhandled rejection would fail this test file (vitest reports it as an error).
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(models.find('m')).toBe(next);
  });

  test('the latest numbered version serves by default; others by number; the latest follows unloads', async () => {
    const models = new ModelRegistry();
    models.add(adding('m', 1), { version: '2' });
    models.add(adding('m', 1), { version: '10' });
    models.add(adding('m', 1), { version: '9' });
    expect(models.find('m').version).toBe('10');
    expect(models.find('m', '9').version).toBe('9');
    expect(models.versionsOf('m').map((m) => m.version)).toEqual(['2', '9', '10']);
    await models.unserve('m', '10');
    expect(models.find('m').version).toBe('9');
    const replacing = models.add(adding('m', 1), { version: '9' });
    expect(models.find('m')).toBe(replacing);
    await models.unserve('m');
    expect(() => models.find('m')).toThrow('no model "m"');
  });

  test('a failed load keeps the versions in service serving, and the index says why', async () => {
    const models = new ModelRegistry();
    models.add(adding('m', 1), { version: '1' });
    models.mark('m', '1', 'UNAVAILABLE', 'corrupt file');
    models.mark('m', '2', 'UNAVAILABLE', 'corrupt file');
    expect(models.find('m').version).toBe('1');
    expect(models.status()).toEqual([
      { name: 'm', version: '1', state: 'READY', reason: 'corrupt file' },
      { name: 'm', version: '2', state: 'UNAVAILABLE', reason: 'corrupt file' },
    ]);
    expect(() => models.find('m', '2')).toThrow('version "2" of model "m" failed to load: corrupt file');
    await models.unserve('m');
    expect(models.status()).toEqual([]);
    expect(() => models.find('m')).toThrow('no model "m"');
  });
});

describe('tokens', () => {
  test('with an auth token, models need it (401 without, 403 wrong) and probes stay open', async () => {
    const { url } = await start([adding('ten', 10)], { authToken: 's3cret' });
    const body = encodeInferRequest({ inputs: [x] });
    const missing = await post(url, body);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.headers.get('graphpipe-error-code')).toBe('UNAUTHENTICATED');
    expect((await post(url, body, { authorization: 'Bearer nope' })).status).toBe(403);
    expect((await fetch(`${url}/models`)).status).toBe(401);
    const model = new RemoteModel(url, { headers: { authorization: 'Bearer s3cret' } });
    expect(values((await model.infer(x)).outputs[0])).toEqual([11, 12]);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });
});
