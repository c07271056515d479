// Triton's model configuration endpoint (GET /v2/models/{name}[/versions/{v}]/config) on a real
// server: the same tensors as the v2 metadata, max_batch_size and dims with and without dynamic
// batching, the version path, and the token, CORS and metrics every v2 GET route has.
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, test } from 'vitest';
import { getJson, useServers } from './helpers.js';

const start = useServers();

/** `x` float32 [-1, 4] → `y` float32 [-1, 4] and `total` float64 [-1]. */
const doubler = (options: { version?: string; concurrency?: number } = {}) =>
  createFunctionBackend(({ x }) => ({ y: x!, total: x! }), {
    name: 'doubler',
    version: options.version,
    concurrency: options.concurrency,
    inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }],
    outputs: [
      { name: 'y', dtype: 'float32', shape: [-1, 4] },
      { name: 'total', dtype: 'float64', shape: [-1] },
    ],
  });

/** A fixed-shape model: `image` uint8 [2, 3] → `label` BYTES [2]; no batch dimension. */
const fixed = (): Backend => {
  const backend = createFunctionBackend(({ image }) => ({ label: image! }), {
    name: 'fixed',
    inputs: [{ name: 'image', dtype: 'uint8', shape: [2, 3] }],
    outputs: [{ name: 'label', dtype: 'string', shape: [2] }],
  });
  return { ...backend, metadata: { ...backend.metadata, platform: 'onnxruntime_onnx' } };
};

describe('model configuration', () => {
  test('without batching: max_batch_size 0, the dims as the metadata shapes, one instance per concurrent run', async () => {
    const { url } = await start([doubler({ version: '1', concurrency: 3 }), doubler({ version: '2' })]);
    const metadata = (await getJson<Record<'inputs' | 'outputs', { shape: number[] }[]>>(`${url}/v2/models/doubler`))
      .body;
    const expected = {
      name: 'doubler',
      platform: 'graphpipe-ts',
      backend: 'graphpipe-ts',
      max_batch_size: 0,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [-1, 4] }],
      output: [
        { name: 'y', data_type: 'TYPE_FP32', dims: [-1, 4] },
        { name: 'total', data_type: 'TYPE_FP64', dims: [-1] },
      ],
      instance_group: [{ count: 4, kind: 'KIND_CPU' }],
    };
    for (const path of ['/v2/models/doubler/config', '/v2/models/doubler/versions/2/config']) {
      const res = await getJson(`${url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body).toEqual(expected);
    }
    // The same tensors as the metadata lists.
    expect(expected.input.map((t) => t.dims)).toEqual(metadata.inputs.map((t) => t.shape));
    expect(expected.output.map((t) => t.dims)).toEqual(metadata.outputs.map((t) => t.shape));
    const one = await getJson<{ instance_group: unknown }>(`${url}/v2/models/doubler/versions/1/config`);
    expect(one.body.instance_group).toEqual([{ count: 3, kind: 'KIND_CPU' }]);
  });

  test('with batching: max_batch_size is the batch size, dims leave out the batch dimension, dynamic_batching says the delay', async () => {
    const { url } = await start(doubler(), { batching: { maxBatchSize: 8, maxDelayMs: 2.5 }, concurrency: 2 });
    expect((await getJson(`${url}/v2/models/doubler/config`)).body).toEqual({
      name: 'doubler',
      platform: 'graphpipe-ts',
      backend: 'graphpipe-ts',
      max_batch_size: 8,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [4] }],
      output: [
        { name: 'y', data_type: 'TYPE_FP32', dims: [4] },
        // Only the batch dimension: one element per row, as Triton writes it.
        { name: 'total', data_type: 'TYPE_FP64', dims: [1], reshape: { shape: [] } },
      ],
      dynamic_batching: { preferred_batch_size: [8], max_queue_delay_microseconds: 2500 },
      instance_group: [{ count: 2, kind: 'KIND_CPU' }],
    });
  });

  test('with batching but no batch dimension on every tensor, max_batch_size stays 0 and the dims whole', async () => {
    const { url } = await start(fixed(), { batching: { maxBatchSize: 4, maxDelayMs: 1 } });
    expect((await getJson(`${url}/v2/models/fixed/config`)).body).toMatchObject({
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 0,
      input: [{ name: 'image', data_type: 'TYPE_UINT8', dims: [2, 3] }],
      output: [{ name: 'label', data_type: 'TYPE_STRING', dims: [2] }],
      dynamic_batching: { preferred_batch_size: [4], max_queue_delay_microseconds: 1000 },
    });
  });

  test('a model with open dtypes and shapes lists TYPE_INVALID and [-1], as the metadata lists ANY and [-1]', async () => {
    const echo = createFunctionBackend(({ input0 }) => input0!, { name: 'echo' });
    const { url } = await start(echo);
    expect((await getJson(`${url}/v2/models/echo/config`)).body).toMatchObject({
      input: [{ name: 'input0', data_type: 'TYPE_INVALID', dims: [-1] }],
      output: [{ name: 'output0', data_type: 'TYPE_INVALID', dims: [-1] }],
    });
  });

  test('an unknown model or version is 404 in JSON; the server names the extension', async () => {
    const { url } = await start(doubler());
    const version = await getJson(`${url}/v2/models/doubler/versions/9/config`);
    expect(version.status).toBe(404);
    expect(version.body).toEqual({ error: expect.stringMatching(/version "9"/) });
    const model = await getJson<object>(`${url}/v2/models/nope/config`);
    expect(model.status).toBe(404);
    expect(Object.keys(model.body)).toEqual(['error']);
    expect((await getJson<{ extensions: string[] }>(`${url}/v2`)).body.extensions).toContain('model_configuration');
    const wrong = await getJson<{ error: string }>(`${url}/v2/models/doubler/configs`);
    expect(wrong.body.error).toContain('/config');
  });

  test('needs the token, answers CORS, and is counted in the metrics as kind "config"', async () => {
    const { url } = await start(doubler(), { authToken: 's3cret' });
    const path = `${url}/v2/models/doubler/config`;
    expect((await getJson(path)).status).toBe(401);
    const ok = await getJson(path, { authorization: 'Bearer s3cret', origin: 'https://app.example' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer s3cret' } })).text();
    expect(metrics).toContain(
      'graphpipe_requests_total{protocol="v2",kind="config",status="200",model="doubler",version="1"} 1',
    );
  });
});
