// The Open Inference Protocol (v2) endpoints of a real server on a loopback port: health,
// metadata, readiness, inference in JSON and binary, statistics, and every malformed request
// answered 400 with {"error": "<one line>"}.
import { Writable } from 'node:stream';
import {
  ERROR_CODE_HEADER,
  encodeInferRequest,
  GraphPipeError,
  RemoteModel,
  type Tensor,
  tensor,
} from '@graphpipe/client';
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { doubler, gate, getJson, post, text, useServers } from './helpers.js';

const start = useServers();
const utf8 = new TextEncoder();

/** Returns `input0` as `output0`, any dtype or shape. */
const echo = (name = 'echo', inspect?: (input: Tensor) => void) =>
  createFunctionBackend(
    ({ input0 }) => {
      inspect?.(input0!);
      return input0!;
    },
    { name },
  );

function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return post(url, utf8.encode(typeof body === 'string' ? body : JSON.stringify(body)), {
    'content-type': 'application/json',
    ...headers,
  });
}

/** A hand-built binary request: the JSON header, then the tensors' bytes. */
function binaryBody(
  header: unknown,
  ...parts: ArrayBufferView[]
): { body: Uint8Array; headers: Record<string, string> } {
  const head = utf8.encode(JSON.stringify(header));
  const bytes = parts.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  const body = new Uint8Array(head.length + bytes.reduce((n, b) => n + b.length, 0));
  body.set(head);
  let at = head.length;
  for (const b of bytes) {
    body.set(b, at);
    at += b.length;
  }
  return { body, headers: { 'inference-header-content-length': String(head.length) } };
}

/** An answer's JSON, as far as these tests read it. */
interface Answer {
  outputs: { name: string; datatype: string; shape: number[]; data?: unknown[]; parameters?: object }[];
}

/** One version's statistics, as far as these tests read them. */
interface ModelStat {
  name: string;
  version: string;
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: Record<string, { count: number; ns: number }>;
  batch_stats: {
    batch_size: number;
    compute_input: { count: number; ns: number };
    compute_infer: { count: number; ns: number };
    compute_output: { count: number; ns: number };
  }[];
}

/** Splits a binary answer into its JSON and the bytes after it. */
function splitAnswer(bytes: Uint8Array, headers: Headers): { json: Answer; rest: Uint8Array } {
  const length = Number(headers.get('inference-header-content-length'));
  return { json: JSON.parse(text(bytes.subarray(0, length))), rest: bytes.subarray(length) };
}

function expectError(res: { status: number; headers: Headers; bytes: Uint8Array }, status: number, message: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = JSON.parse(text(res.bytes)) as { error: string };
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toMatch(message);
  expect(body.error).not.toContain('\n');
}

describe('health and metadata', () => {
  test('live and ready answer 200 with an empty body', async () => {
    const { url } = await start(doubler());
    for (const path of ['/v2/health/live', '/v2/health/ready']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('');
    }
  });

  test('ready is 503 while a model loads or after it failed to load, and while shutting down', async () => {
    const { url, core } = await start(doubler());
    core.models.mark('next', '1', 'LOADING');
    const loading = await getJson(`${url}/v2/health/ready`);
    expect(loading.status).toBe(503);
    expect(loading.body).toEqual({ error: 'not ready: version 1 of model "next" is loading' });
    core.models.mark('next', '1', 'UNAVAILABLE', 'no such file');
    expect((await getJson(`${url}/v2/health/ready`)).body).toEqual({
      error: 'not ready: version 1 of model "next" failed to load: no such file',
    });
    await core.models.unserve('next');
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);

    core.lifecycle.ready = false;
    try {
      const [server, model, live] = await Promise.all([
        getJson(`${url}/v2/health/ready`),
        getJson(`${url}/v2/models/doubler/ready`),
        fetch(`${url}/v2/health/live`),
      ]);
      expect(server).toMatchObject({ status: 503, body: { error: 'not ready: the server is shutting down' } });
      expect(model).toMatchObject({ status: 503, body: { error: 'the server is shutting down' } });
      expect(live.status).toBe(200);
    } finally {
      core.lifecycle.ready = true;
    }
  });

  test('GET /v2 names the server, its version and its extensions', async () => {
    const { url, core } = await start(doubler());
    expect((await getJson(`${url}/v2`)).body).toEqual({
      name: 'graphpipe-ts',
      version: '0.1.0',
      extensions: ['binary_tensor_data', 'statistics', 'model_configuration'],
    });
    core.extensions.add('model_repository');
    expect((await getJson(`${url}/v2`)).body).toMatchObject({
      extensions: ['binary_tensor_data', 'statistics', 'model_configuration', 'model_repository'],
    });
  });

  test('the server version is the package version', async () => {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const { url } = await start(doubler());
    expect((await getJson(`${url}/v2`)).body).toMatchObject({ version: pkg.version });
  });

  test('model metadata, with and without a version, lists datatypes and -1 for variable dimensions', async () => {
    const { url } = await start([doubler({ version: '1' }), doubler({ version: '2' })]);
    const expected = {
      name: 'doubler',
      versions: ['1', '2'],
      platform: 'graphpipe-ts',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [-1, 4] },
        { name: 'total', datatype: 'FP64', shape: [-1] },
      ],
    };
    for (const path of ['/v2/models/doubler', '/v2/models/doubler/versions/1']) {
      const res = await getJson(`${url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body).toEqual(expected);
    }
  });

  test("a model's platform is the one its metadata names", async () => {
    const backend = doubler();
    const named: Backend = { ...backend, metadata: { ...backend.metadata, platform: 'onnxruntime_onnx' } };
    const { url } = await start(named);
    expect((await getJson(`${url}/v2/models/doubler`)).body).toMatchObject({ platform: 'onnxruntime_onnx' });
  });

  test('model readiness: 200 for a served model or version, 404 for an unknown one', async () => {
    const { url } = await start(doubler({ version: '3' }));
    expect((await fetch(`${url}/v2/models/doubler/ready`)).status).toBe(200);
    expect((await fetch(`${url}/v2/models/doubler/versions/3/ready`)).status).toBe(200);
    const unknown = await getJson(`${url}/v2/models/nope/ready`);
    expect(unknown).toMatchObject({ status: 404, body: { error: 'no model "nope"; this server has "doubler"' } });
    const version = await getJson(`${url}/v2/models/doubler/versions/9/ready`);
    expect(version.status).toBe(404);
    expect(version.body).toEqual({ error: 'version "9" of model "doubler" is not served; its versions are "3"' });
  });

  test('paths the protocol does not have are 404 in its error form', async () => {
    const { url } = await start(doubler());
    for (const path of ['/v2/models', '/v2/models/doubler/explain', '/v2/health/started']) {
      const res = await getJson(`${url}${path}`);
      expect(res.status).toBe(404);
      expect((res.body as { error: string }).error).toMatch(/^no route for GET \/v2\//);
    }
    expectError(await postJson(`${url}/v2/models/doubler/ready`, {}), 404, /^no route for POST/);
  });
});

describe('inference', () => {
  const features = [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.0, 5.2, 2.3],
  ];

  test('a JSON request with nested data answers the same numbers as GraphPipe', async () => {
    const { url } = await start(doubler());
    const res = await postJson(`${url}/v2/models/doubler/infer`, {
      id: '42',
      inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: features }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const answer = JSON.parse(text(res.bytes));
    expect(answer).toMatchObject({ model_name: 'doubler', model_version: '1', id: '42' });
    expect(answer.outputs.map((o: { name: string }) => o.name)).toEqual(['y', 'total']);

    const x = tensor(new Float32Array(features.flat()), [2, 4]);
    const graphpipe = await new RemoteModel(url).infer({ x }, { outputNames: ['y', 'total'] });
    expect(answer.outputs[0]).toEqual({ name: 'y', datatype: 'FP32', shape: [2, 4], data: expect.any(Array) });
    // The JSON's numbers read back (through float32) as exactly GraphPipe's values.
    expect(Float32Array.from(answer.outputs[0].data)).toEqual(graphpipe.outputs[0]!.data);
    expect(Float64Array.from(answer.outputs[1].data)).toEqual(graphpipe.outputs[1]!.data);
  });

  test('a hand-built binary request answers byte-identical tensors to the JSON form', async () => {
    const { url } = await start(doubler());
    const x = new Float32Array(features.flat());
    const { body, headers } = binaryBody(
      {
        inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } }],
        outputs: [
          { name: 'y', parameters: { binary_data: true } },
          { name: 'total', parameters: { binary_data: true } },
        ],
      },
      x,
    );
    const binary = await post(`${url}/v2/models/doubler/infer`, body, headers);
    expect(binary.status).toBe(200);
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    const { json, rest } = splitAnswer(binary.bytes, binary.headers);
    expect(json.outputs).toEqual([
      { name: 'y', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: 32 } },
      { name: 'total', datatype: 'FP64', shape: [2], parameters: { binary_data_size: 16 } },
    ]);
    expect(rest.length).toBe(48);

    const viaJson = JSON.parse(
      text(
        (
          await postJson(`${url}/v2/models/doubler/infer`, {
            inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: features }],
          })
        ).bytes,
      ),
    );
    expect(Array.from(rest.subarray(0, 32))).toEqual(
      Array.from(new Uint8Array(Float32Array.from(viaJson.outputs[0].data).buffer)),
    );
    expect(Array.from(rest.subarray(32))).toEqual(
      Array.from(new Uint8Array(Float64Array.from(viaJson.outputs[1].data).buffer)),
    );
  });

  test('binary_data_output asks for every output as binary data; an output may say otherwise', async () => {
    const { url } = await start(doubler());
    const { body, headers } = binaryBody(
      {
        parameters: { binary_data_output: true },
        inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }],
        outputs: [{ name: 'y' }, { name: 'total', parameters: { binary_data: false } }],
      },
      new Float32Array([1, 2, 3, 4]),
    );
    const res = await post(`${url}/v2/models/doubler/infer`, body, headers);
    const { json, rest } = splitAnswer(res.bytes, res.headers);
    expect(json.outputs[0].parameters).toEqual({ binary_data_size: 16 });
    expect(json.outputs[1]).toEqual({ name: 'total', datatype: 'FP64', shape: [1], data: [20] });
    expect(Array.from(new Float32Array(rest.slice().buffer))).toEqual([2, 4, 6, 8]);
  });

  test('without outputs named, every output comes back, and the config parameter reaches the model', async () => {
    const { url } = await start(doubler());
    const res = await postJson(`${url}/v2/models/doubler/infer`, {
      parameters: { config: '10' },
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
    });
    const answer = JSON.parse(text(res.bytes));
    expect(answer.outputs.map((o: { name: string; data: number[] }) => [o.name, o.data])).toEqual([
      ['y', [10, 20, 30, 40]],
      ['total', [100]],
    ]);
  });

  test('BYTES round-trip through an identity model, empty strings and non-ASCII UTF-8 included', async () => {
    const { url } = await start(echo());
    const words = ['', 'héllo', '日本語', '😀', 'a\u0000b'];
    const viaJson = await postJson(`${url}/v2/models/echo/infer`, {
      inputs: [{ name: 'input0', shape: [5], datatype: 'BYTES', data: words }],
    });
    expect(JSON.parse(text(viaJson.bytes)).outputs[0]).toEqual({
      name: 'output0',
      datatype: 'BYTES',
      shape: [5],
      data: words,
    });

    const parts = words.map((w) => utf8.encode(w));
    const payload = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
    let at = 0;
    for (const p of parts) {
      new DataView(payload.buffer).setUint32(at, p.length, true);
      payload.set(p, at + 4);
      at += 4 + p.length;
    }
    const { body, headers } = binaryBody(
      {
        inputs: [{ name: 'input0', shape: [5], datatype: 'BYTES', parameters: { binary_data_size: payload.length } }],
        outputs: [{ name: 'output0', parameters: { binary_data: true } }],
      },
      payload,
    );
    const binary = await post(`${url}/v2/models/echo/infer`, body, headers);
    const { json, rest } = splitAnswer(binary.bytes, binary.headers);
    expect(json.outputs[0].parameters).toEqual({ binary_data_size: payload.length });
    expect(Array.from(rest)).toEqual(Array.from(payload));
  });

  test("binary inputs reach the model as views of the body, whatever the JSON header's length", async () => {
    const seen: Tensor[] = [];
    const { url } = await start(echo('echo', (t) => seen.push(t)));
    const values = new Float64Array([1.5, -2, 3.25]);
    for (const pad of [0, 1, 2, 3, 5, 7]) {
      const header = {
        inputs: [{ name: 'input0', shape: [3], datatype: 'FP64', parameters: { binary_data_size: 24 } }],
        padding: 'x'.repeat(pad),
      };
      const { body, headers } = binaryBody(header, values);
      expect((await post(`${url}/v2/models/echo/infer`, body, headers)).status).toBe(200);
      const input = seen.at(-1)!.data as Float64Array;
      expect(Array.from(input)).toEqual([1.5, -2, 3.25]);
      // A view: its memory is the whole body's, not a buffer of its own.
      expect(input.buffer.byteLength).toBeGreaterThanOrEqual(body.length);
    }
  });

  test("the raw form: Inference-Header-Content-Length 0 and the one input's bytes", async () => {
    const { url } = await start(doubler());
    const res = await post(
      `${url}/v2/models/doubler/infer`,
      new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer),
      {
        'inference-header-content-length': '0',
      },
    );
    expect(res.status).toBe(200);
    const { json, rest } = splitAnswer(res.bytes, res.headers);
    expect(json.outputs).toEqual([
      { name: 'y', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: 32 } },
      { name: 'total', datatype: 'FP64', shape: [2], parameters: { binary_data_size: 16 } },
    ]);
    expect(Array.from(new Float64Array(rest.slice(32).buffer))).toEqual([20, 52]);
  });

  test('a version can be named', async () => {
    const { url } = await start([doubler({ version: '1' }), doubler({ version: '2' })]);
    const res = await postJson(`${url}/v2/models/doubler/versions/1/infer`, {
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 1, 1, 1] }],
    });
    expect(JSON.parse(text(res.bytes))).toMatchObject({ model_name: 'doubler', model_version: '1' });
  });
});

describe('mistakes are 400s with one line of JSON, never a 500', () => {
  const infer = '/v2/models/doubler/infer';
  const x = (extra: object) => ({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', ...extra }] });
  const cases: [string, () => { body: Uint8Array; headers: Record<string, string> }, RegExp][] = [
    ['malformed JSON', () => ({ body: utf8.encode('{"inputs": ['), headers: {} }), /^request JSON: .* at byte \d+$/],
    [
      'an unknown input',
      () => ({
        body: utf8.encode(JSON.stringify({ inputs: [{ name: 'z', shape: [1], datatype: 'FP32', data: [1] }] })),
        headers: {},
      }),
      /unknown input "z"; the model's inputs are "x"/,
    ],
    [
      'a missing input',
      () => ({ body: utf8.encode(JSON.stringify({ inputs: [] })), headers: {} }),
      /missing input "x"/,
    ],
    [
      'the wrong datatype',
      () => ({
        body: utf8.encode(
          JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'INT32', data: [1, 2, 3, 4] }] }),
        ),
        headers: {},
      }),
      /input "x" must be float32, got int32/,
    ],
    [
      'the wrong shape',
      () => ({
        body: utf8.encode(
          JSON.stringify({ inputs: [{ name: 'x', shape: [4], datatype: 'FP32', data: [1, 2, 3, 4] }] }),
        ),
        headers: {},
      }),
      /input "x" must have shape \[-1, 4\], got \[4\]/,
    ],
    [
      'an unknown output',
      () => ({
        body: utf8.encode(JSON.stringify({ ...x({ data: [1, 2, 3, 4] }), outputs: [{ name: 'w' }] })),
        headers: {},
      }),
      /unknown output "w"/,
    ],
    [
      'too few elements',
      () => ({ body: utf8.encode(JSON.stringify(x({ data: [1, 2] }))), headers: {} }),
      /data has 2 elements but shape \[1, 4\] needs 4/,
    ],
    [
      'binary_data_size off by one',
      () => binaryBody(x({ parameters: { binary_data_size: 15 } }), new Uint8Array(15)),
      /binary_data_size is 15 but a FP32 tensor of shape \[1, 4\] has 16 bytes/,
    ],
    [
      'binary data past the body',
      () => binaryBody(x({ parameters: { binary_data_size: 16 } }), new Uint8Array(8)),
      /runs past the end of the body/,
    ],
    [
      'bytes left over',
      () => binaryBody(x({ parameters: { binary_data_size: 16 } }), new Uint8Array(20)),
      /4 bytes follow the binary data/,
    ],
    [
      'a header length past the body',
      () => ({
        body: utf8.encode(JSON.stringify(x({ data: [1, 2, 3, 4] }))),
        headers: { 'inference-header-content-length': '9999' },
      }),
      /Inference-Header-Content-Length of 9999 is past the end/,
    ],
    [
      'a header length that is not a number',
      () => ({ body: utf8.encode('{}'), headers: { 'inference-header-content-length': 'ten' } }),
      /must be a whole number of bytes, got "ten"/,
    ],
    [
      'the raw form with too few bytes',
      () => ({ body: new Uint8Array(6), headers: { 'inference-header-content-length': '0' } }),
      /6 bytes do not make a FP32 tensor of shape \[-1, 4\]/,
    ],
    [
      'a config that is not a string',
      () => ({
        body: utf8.encode(JSON.stringify({ parameters: { config: 3 }, ...x({ data: [1, 2, 3, 4] }) })),
        headers: {},
      }),
      /parameters.config must be a string/,
    ],
  ];
  test.each(cases)('%s', async (_name, make, message) => {
    const { url } = await start(doubler());
    const { body, headers } = make();
    const res = await post(`${url}${infer}`, body, headers);
    expectError(res, 400, message);
    expect(['INVALID_ARGUMENT', 'INVALID_MESSAGE']).toContain(res.headers.get(ERROR_CODE_HEADER));
  });

  test('an unknown model is 404, and a body over the limit 413, both in JSON', async () => {
    const { url } = await start(doubler(), { maxBodyBytes: 64 });
    expectError(await postJson(`${url}/v2/models/nope/infer`, x({ data: [1, 2, 3, 4] })), 404, /no model "nope"/);
    expectError(await post(`${url}${infer}`, new Uint8Array(100)), 413, /exceeds the limit of 64 bytes/);
  });

  test('a model name that could be a path is refused', async () => {
    const { url } = await start(doubler());
    expectError(await postJson(`${url}/v2/models/..%2F..%2Fetc/infer`, {}), 400, /invalid model name/);
  });

  test('a server with a token wants it on the v2 routes too, but not on the probes', async () => {
    const { url } = await start(doubler(), { authToken: 's3cret' });
    expectError(await postJson(`${url}${infer}`, x({ data: [1, 2, 3, 4] })), 401, /needs an Authorization: Bearer/);
    expect((await getJson(`${url}/v2/models/doubler`)).status).toBe(401);
    expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
    const ok = await postJson(`${url}${infer}`, x({ data: [1, 2, 3, 4] }), { authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(200);
  });

  test('a full queue is 503 with Retry-After, in JSON', async () => {
    const held = gate();
    const slow = createFunctionBackend(
      async ({ input0 }) => {
        await held.promise;
        return input0!;
      },
      { name: 'slow' },
    );
    const { url } = await start(slow, { concurrency: 1, maxQueue: 0 });
    const body = { inputs: [{ name: 'input0', shape: [1], datatype: 'FP32', data: [1] }] };
    const first = postJson(`${url}/v2/models/slow/infer`, body);
    await expect.poll(async () => (await postJson(`${url}/v2/models/slow/infer`, body)).status).toBe(503);
    const busy = await postJson(`${url}/v2/models/slow/infer`, body);
    expectError(busy, 503, /server busy/);
    expect(busy.headers.get('retry-after')).toBe('1');
    held.open();
    expect((await first).status).toBe(200);
  });
});

describe('one server, both protocols', () => {
  test("statistics count each version's inferences from both protocols", async () => {
    const { url } = await start([doubler({ version: '1' }), doubler({ version: '2' })]);
    const body = { inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] };
    await postJson(`${url}/v2/models/doubler/versions/1/infer`, body);
    await postJson(`${url}/v2/models/doubler/versions/1/infer`, body);
    await new RemoteModel(`${url}/models/doubler/versions/1`).infer(
      { x: tensor(new Float32Array(4), [1, 4]) },
      { outputNames: ['y'] },
    );
    await postJson(`${url}/v2/models/doubler/versions/2/infer`, body);

    const one = (await getJson(`${url}/v2/models/doubler/versions/1/stats`)).body as { model_stats: ModelStat[] };
    expect(one.model_stats).toHaveLength(1);
    const stat = one.model_stats[0];
    expect(stat).toMatchObject({
      name: 'doubler',
      version: '1',
      inference_count: 3,
      execution_count: 3,
    });
    // Every run is recorded by its rows, batching or not (as Triton records a model without it).
    expect(stat.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([[1, 3]]);
    expect(stat.inference_stats.success.count).toBe(3);
    expect(stat.inference_stats.fail).toEqual({ count: 0, ns: 0 });
    expect(stat.inference_stats.queue.count).toBe(3);
    expect(stat.inference_stats.compute_infer.count).toBe(3);
    expect(stat.inference_stats.success.ns).toBeGreaterThanOrEqual(stat.inference_stats.compute_infer.ns);
    expect(stat.last_inference).toBeGreaterThan(Date.now() - 60_000);

    const all = (await getJson(`${url}/v2/models/doubler/stats`)).body as { model_stats: ModelStat[] };
    expect(all.model_stats.map((s) => [s.version, s.inference_count])).toEqual([
      ['1', 3],
      ['2', 1],
    ]);
    const everything = (await getJson(`${url}/v2/models/stats`)).body as { model_stats: ModelStat[] };
    expect(everything.model_stats).toHaveLength(2);
  });

  test('with batching, statistics count rows as inferences, and each run once by its batch size', async () => {
    const { url } = await start(doubler(), { batching: { maxBatchSize: 4, maxDelayMs: 60_000 } });
    const infer = (rows: number) =>
      postJson(`${url}/v2/models/doubler/infer`, {
        inputs: [{ name: 'x', shape: [rows, 4], datatype: 'FP32', data: new Array(rows * 4).fill(1) }],
      });
    // Four single rows fill a batch; eight rows are a batch on their own.
    const answers = [...(await Promise.all([1, 1, 1, 1].map(infer))), await infer(8)];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const { model_stats } = (await getJson(`${url}/v2/models/doubler/stats`)).body as { model_stats: ModelStat[] };
    const stat = model_stats[0]!;
    expect(stat).toMatchObject({ inference_count: 12, execution_count: 2 });
    expect(stat.inference_stats.success!.count).toBe(5);
    expect(stat.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([
      [4, 1],
      [8, 1],
    ]);
  });

  test('without batching, each run is in batch_stats by its rows; one without a batch dimension is a batch of 1', async () => {
    const { url } = await start([doubler(), echo()]);
    for (const rows of [2, 1, 2, 5]) {
      const res = await postJson(`${url}/v2/models/doubler/infer`, {
        inputs: [{ name: 'x', shape: [rows, 4], datatype: 'FP32', data: new Array(rows * 4).fill(1) }],
      });
      expect(res.status).toBe(200);
    }
    const scalar = await postJson(`${url}/v2/models/echo/infer`, {
      inputs: [{ name: 'input0', shape: [], datatype: 'FP32', data: [1] }],
    });
    expect(scalar.status).toBe(200);
    const stats = (await getJson(`${url}/v2/models/stats`)).body as { model_stats: ModelStat[] };
    const [doubled, echoed] = stats.model_stats;
    expect(doubled).toMatchObject({ name: 'doubler', inference_count: 10, execution_count: 4 });
    expect(doubled!.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([
      [1, 1],
      [2, 2],
      [5, 1],
    ]);
    for (const batch of doubled!.batch_stats) {
      expect(batch.compute_infer.ns).toBeGreaterThan(0);
      expect(batch.compute_input).toEqual({ count: batch.compute_infer.count, ns: 0 });
      expect(batch.compute_output).toEqual({ count: batch.compute_infer.count, ns: 0 });
    }
    expect(echoed).toMatchObject({ name: 'echo', inference_count: 1, execution_count: 1 });
    expect(echoed!.batch_stats.map((b) => [b.batch_size, b.compute_infer.count])).toEqual([[1, 1]]);
  });

  test('a failed inference counts as a failure', async () => {
    const failing = createFunctionBackend(
      () => {
        throw new GraphPipeError('INVALID_ARGUMENT', 'no thanks');
      },
      { name: 'failing' },
    );
    const { url } = await start(failing);
    const res = await postJson(`${url}/v2/models/failing/infer`, {
      inputs: [{ name: 'input0', shape: [1], datatype: 'FP32', data: [1] }],
    });
    expectError(res, 400, /^no thanks$/);
    const stats = (await getJson(`${url}/v2/models/failing/stats`)).body as { model_stats: ModelStat[] };
    expect(stats.model_stats[0].inference_stats.fail.count).toBe(1);
    expect(stats.model_stats[0].inference_count).toBe(0);
  });

  test('metrics label requests by protocol; probes are not model traffic', async () => {
    const { url } = await start(doubler());
    await postJson(`${url}/v2/models/doubler/infer`, {
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
    });
    await postJson(`${url}/v2/models/doubler/infer`, { inputs: [] });
    await fetch(`${url}/v2/health/ready`);
    await new RemoteModel(url).infer({ x: tensor(new Float32Array(4), [1, 4]) }, { outputNames: ['y'] });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const labels = 'model="doubler",version="1"';
    expect(metrics).toContain(`graphpipe_requests_total{protocol="v2",kind="infer",status="200",${labels}} 1`);
    expect(metrics).toContain(`graphpipe_requests_total{protocol="v2",kind="infer",status="400",${labels}} 1`);
    expect(metrics).toContain(`graphpipe_requests_total{protocol="graphpipe",kind="infer",status="200",${labels}} 1`);
    expect(metrics).not.toMatch(/graphpipe_requests_total\{protocol="http"/);
  });

  test('one log line per request, naming the kind, model and status', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const { url } = await start(doubler(), { logger: pino(sink) });
    await postJson(`${url}/v2/models/doubler/infer`, {
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
    });
    await expect.poll(() => lines.length).toBe(1);
    expect(lines[0]).toMatchObject({
      method: 'POST',
      path: '/v2/models/doubler/infer',
      kind: 'infer',
      model: 'doubler',
      version: '1',
      status: 200,
    });
  });

  test("GraphPipe refuses a model's bool input with a pointer to v2, which carries it; bool outputs go as uint8", async () => {
    const flags = createFunctionBackend(({ mask }) => ({ kept: mask! }), {
      name: 'flags',
      inputs: [{ name: 'mask', dtype: 'bool', shape: [-1] }],
      outputs: [{ name: 'kept', dtype: 'bool', shape: [-1] }],
    });
    const { url } = await start(flags);
    const res = await post(url, encodeInferRequest({ inputs: [tensor(new Uint8Array([1, 0]))], inputNames: ['mask'] }));
    expect(res.status).toBe(400);
    expect(text(res.bytes)).toBe(
      'model "flags" takes the bool input "mask", which GraphPipe cannot carry; call it over the Open Inference Protocol (POST /v2/models/flags/infer)\n',
    );
    const viaV2 = await postJson(`${url}/v2/models/flags/infer`, {
      inputs: [{ name: 'mask', shape: [2], datatype: 'BOOL', data: [true, false] }],
    });
    expect(JSON.parse(text(viaV2.bytes)).outputs[0]).toEqual({
      name: 'kept',
      datatype: 'BOOL',
      shape: [2],
      data: [true, false],
    });

    const bits = createFunctionBackend(() => ({ on: tensor(new Uint8Array([1, 0]), [2], 'bool') }), {
      name: 'bits',
      outputs: [{ name: 'on', dtype: 'bool', shape: [2] }],
    });
    const other = await start(bits);
    const { outputs } = await new RemoteModel(other.url).infer(tensor(new Float32Array([0])), { outputNames: ['on'] });
    expect(outputs[0]).toEqual(tensor(new Uint8Array([1, 0]), [2]));
  });
});

describe('shutdown', () => {
  test('inference arriving while shutting down is 503 in JSON', async () => {
    const { url, core } = await start(doubler());
    core.lifecycle.ready = false;
    try {
      const res = await postJson(`${url}/v2/models/doubler/infer`, { inputs: [] });
      expectError(res, 503, /shutting down/);
    } finally {
      core.lifecycle.ready = true;
    }
  });
});
