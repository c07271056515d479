// Our client over the Open Inference Protocol against our server: every dtype in both encodings,
// metadata in GraphPipe's shape, errors as GraphPipeErrors with the server's code.
import { type DType, isGraphPipeError, RemoteModel, tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectSameTensor, SAMPLES, useServers } from './helpers.js';

const start = useServers();

describe('every dtype through our server', () => {
  let url: string;
  beforeAll(async () => {
    url = (await start(createFunctionBackend(({ input0 }) => input0!, { name: 'echo' }))).url;
  });

  for (const encoding of ['binary', 'json'] as const) {
    test.each(Object.keys(SAMPLES) as DType[])(`%s, ${encoding}`, async (dtype) => {
      const model = new RemoteModel(url, { protocol: 'v2', model: 'echo', encoding });
      const sent = SAMPLES[dtype];
      const { outputs, byName } = await model.infer({ input0: sent });
      expectSameTensor(outputs[0], sent);
      expect(byName.output0).toBe(outputs[0]);
    });
  }

  test('raw bytes that are not UTF-8 survive the JSON encoding too (sent as binary data)', async () => {
    const model = new RemoteModel(`${url}/v2/models/echo`, { encoding: 'json' });
    const sent = tensor([new Uint8Array([0xff, 0x00, 0xfe]), 'ok']);
    expectSameTensor((await model.infer({ input0: sent })).outputs[0], sent);
  });
});

describe('addressing a model', () => {
  test('by its v2 URL, with or without a version, or by the server URL and the model option', async () => {
    const v = (version: string) =>
      createFunctionBackend(() => tensor(new Float32Array([Number(version)])), { name: 'm', version });
    const { url } = await start([v('1'), v('2')]);
    const value = async (model: RemoteModel) =>
      (await model.infer({ input0: tensor(new Float32Array([0])) })).outputs[0]!.data[0];
    expect(await value(new RemoteModel(`${url}/v2/models/m`))).toBe(2);
    expect(await value(new RemoteModel(`${url}/v2/models/m/versions/1`))).toBe(1);
    expect(await value(new RemoteModel(url, { model: 'm', version: '1' }))).toBe(1);
    expect(new RemoteModel(`${url}/v2/models/m`).protocol).toBe('v2');
    expect(new RemoteModel(url).protocol).toBe('graphpipe');
    expect(() => new RemoteModel(url, { protocol: 'v2' })).toThrow(/needs a model/);
    expect(() => new RemoteModel(url, { encoding: 'json' })).toThrow(TypeError);
  });

  test("unnamed inputs take the model's input names, in order", async () => {
    const { url } = await start(
      createFunctionBackend(
        ({ a, b }) => ({ sum: tensor((a!.data as Float32Array).map((x, i) => x + (b!.data as Float32Array)[i]!)) }),
        {
          name: 'add',
          inputs: [
            { name: 'a', dtype: 'float32', shape: [-1] },
            { name: 'b', dtype: 'float32', shape: [-1] },
          ],
          outputs: [{ name: 'sum', dtype: 'float32', shape: [-1] }],
        },
      ),
    );
    const model = new RemoteModel(`${url}/v2/models/add`);
    const { byName } = await model.infer([tensor(new Float32Array([1, 2])), tensor(new Float32Array([10, 20]))]);
    expect(Array.from(byName.sum!.data as Float32Array)).toEqual([11, 22]);
    const extra = await model
      .infer([tensor(new Float32Array([1])), tensor(new Float32Array([1])), tensor(new Float32Array([1]))])
      .catch((e: unknown) => e);
    expect(extra).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'input 2 has no name and the model lists 2 input(s); name it',
    });
  });

  test('concurrent first calls with unnamed inputs share one metadata fetch', async () => {
    const { url } = await start(createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' }));
    const gets: string[] = [];
    const counting: typeof fetch = (input, init) => {
      if ((init?.method ?? 'GET') === 'GET') gets.push(String(input));
      return fetch(input, init);
    };
    const model = new RemoteModel(`${url}/v2/models/echo`, { fetch: counting });
    const x = tensor(new Float32Array([1, 2]));
    const answers = await Promise.all([1, 2, 3, 4].map(() => model.infer([x])));
    for (const { outputs } of answers) expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([1, 2]);
    expect(gets.filter((u) => u.endsWith('/v2/models/echo'))).toHaveLength(1);
  });
});

describe('metadata', () => {
  test("has GraphPipe's shape: name, version, server, inputs and outputs", async () => {
    const { url } = await start(
      createFunctionBackend(({ x }) => x!, {
        name: 'shape',
        version: '7',
        inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }],
        outputs: [{ name: 'y', dtype: 'int64', shape: [-1] }],
      }),
    );
    const meta = await new RemoteModel(`${url}/v2/models/shape`).metadata();
    expect(meta).toEqual({
      name: 'shape',
      version: '7',
      server: 'graphpipe-ts 0.1.0',
      description: '',
      inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }],
      outputs: [{ name: 'y', dtype: 'int64', shape: [-1] }],
    });
  });
});

describe('errors', () => {
  test("carry the server's status, one-line message and code", async () => {
    const { url } = await start(
      createFunctionBackend(({ x }) => x!, { name: 'typed', inputs: [{ name: 'x', dtype: 'float32', shape: [-1] }] }),
    );
    const wrong = await new RemoteModel(`${url}/v2/models/typed`)
      .infer({ x: tensor(new Int32Array([1])) })
      .catch((e: unknown) => e);
    expect(isGraphPipeError(wrong)).toBe(true);
    expect(wrong).toMatchObject({
      code: 'INVALID_ARGUMENT',
      status: 400,
      message: `${url}/v2/models/typed/infer answered 400: input "x" must be float32, got int32`,
    });
    const missing = await new RemoteModel(`${url}/v2/models/nope`).metadata().catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });
});
