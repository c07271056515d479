/**
 * Where a graph model's signature lives, as seen by clients of a real server on both protocols:
 * top level (tfjs >= 2) or userDefinedMetadata (older converters), and none at all.
 */
import { RemoteModel } from '@graphpipe/client';
import { serve } from '@graphpipe/server-core/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTfBackend, type TfBackend } from '../src/index.js';
import { float32, tfGraphWith } from './helpers.js';
import { modelPath, liveContext } from '@graphpipe/test-utils';

type Served = Awaited<ReturnType<typeof serve>>;

async function served(path: string): Promise<Served> {
  return serve(await createTfBackend(path), { port: 0, logger: false });
}

const v2Metadata = async (server: Served, name: string) =>
  (await fetch(`${server.url}/v2/models/${name}`)).json() as Promise<Record<string, unknown>>;

describe('a graph model whose signature is only in userDefinedMetadata', () => {
  let legacy: Served;
  let current: Served;
  beforeAll(async () => {
    legacy = await served(modelPath('tf-graph-legacy'));
    current = await served(modelPath('tf-graph'));
  });
  afterAll(async () => {
    await legacy.close();
    await current.close();
  });

  it('declares its inputs and outputs over GraphPipe, as TF.js reads the signature', async () => {
    const meta = await new RemoteModel(legacy.url).metadata();
    expect(meta.inputs.map((io) => [io.name, io.dtype, io.shape])).toEqual([['features', 'float32', [-1, 4]]]);
    expect(meta.outputs.map((io) => [io.name, io.dtype, io.shape])).toEqual([
      ['scores', 'float32', [-1, 3]],
      ['class', 'int32', [-1]],
    ]);
    const json = (await (await fetch(legacy.url)).json()) as { Outputs: unknown };
    expect(json.Outputs).toEqual([
      { Name: 'scores', Description: '', Shape: [-1, 3], Type: 10 },
      { Name: 'class', Description: '', Shape: [-1], Type: 6 },
    ]);
  });

  it('declares them over the Open Inference Protocol', async () => {
    expect(await v2Metadata(legacy, 'tf-graph-legacy')).toMatchObject({
      platform: 'tensorflowjs_graph',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'scores', datatype: 'FP32', shape: [-1, 3] },
        { name: 'class', datatype: 'INT32', shape: [-1] },
      ],
    });
  });

  it('answers what the same graph with a top-level signature answers, on both protocols', async () => {
    const features = float32([5, 4], 7);
    const want = await new RemoteModel(current.url).infer({ features }, { outputNames: ['scores', 'class'] });
    const got = await new RemoteModel(legacy.url).infer({ features }, { outputNames: ['scores', 'class'] });
    expect(got.byName).toEqual(want.byName);

    const res = await fetch(`${legacy.url}/v2/models/tf-graph-legacy/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { name: 'features', datatype: 'FP32', shape: [5, 4], data: Array.from(features.data as Float32Array) },
        ],
        outputs: [{ name: 'class' }],
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: unknown };
    expect(body.outputs).toEqual([
      { name: 'class', datatype: 'INT32', shape: [5], data: Array.from(want.byName.class!.data as Int32Array) },
    ]);
  });
});

describe('a graph model with no signature', () => {
  /** tf-graph without its signature: the outputs are the leaf nodes, whose dtype and shape the graph does not say. */
  const unsigned = () =>
    tfGraphWith((json) => {
      delete json.signature;
    });

  let server: Served;
  let backend: TfBackend;
  const warnings: string[] = [];
  beforeAll(async () => {
    backend = await createTfBackend(unsigned(), { onWarning: (message) => warnings.push(message) });
    server = await serve(backend, { port: 0, logger: false });
  });
  afterAll(() => server.close());

  it('says so when it loads', () => {
    expect(warnings).toEqual([
      'output "class" is listed as "dtype unknown, shape unknown": the model does not declare these (its answers still say)',
    ]);
    expect(backend.warnings).toEqual(warnings);
  });

  it('lists an unknown shape as unknown, never as a scalar, over GraphPipe', async () => {
    const meta = await new RemoteModel(server.url).metadata();
    expect(meta.outputs).toEqual([{ name: 'class', description: 'dtype unknown, shape unknown' }]);
    const json = (await (await fetch(server.url)).json()) as { Outputs: unknown };
    expect(json.Outputs).toEqual([
      { Name: 'class', Description: 'dtype unknown, shape unknown', Shape: null, Type: 0 },
    ]);
  });

  it('lists them as "ANY" of any rank over the Open Inference Protocol, and still runs', async () => {
    const name = (await new RemoteModel(server.url).metadata()).name;
    expect((await v2Metadata(server, name)).outputs).toEqual([{ name: 'class', datatype: 'ANY', shape: [-1] }]);
    const { byName } = await new RemoteModel(server.url).infer({ features: float32([2, 4]) });
    expect(byName.class).toMatchObject({ dtype: 'int32', shape: [2] });
  });
});

describe('tensor names', () => {
  /** tf-graph with its signature keyed by tensor names (`features:0`), as some converters key it. */
  const keyedByTensor = () =>
    tfGraphWith((json) => {
      const { inputs, outputs } = json.signature!;
      json.signature = {
        inputs: { 'features:0': inputs.features },
        outputs: { 'scores:0': outputs.scores, 'class:0': outputs.class },
      };
    });

  it('are published as x, not x:0, whichever form the signature uses', async () => {
    const [plain, keyed] = [await served(modelPath('tf-graph')), await served(keyedByTensor())];
    try {
      const meta = await new RemoteModel(keyed.url).metadata();
      expect([...meta.inputs, ...meta.outputs].map((io) => io.name)).toEqual(['features', 'scores', 'class']);
      const features = float32([3, 4], 3);
      const want = await new RemoteModel(plain.url).infer({ features });
      expect((await new RemoteModel(keyed.url).infer({ features })).byName).toEqual(want.byName);
    } finally {
      await Promise.all([plain.close(), keyed.close()]);
    }
  });

  it('are also accepted as x:0 by the backend, and answered under the name asked for', async () => {
    const backend = await createTfBackend(modelPath('tf-graph'));
    try {
      const features = float32([2, 4], 4);
      const want = await backend.infer({ features }, ['scores', 'class'], liveContext());
      const got = await backend.infer({ 'features:0': features }, ['scores:0', 'class'], liveContext());
      expect(got).toEqual({ 'scores:0': want.scores, class: want.class });
    } finally {
      await backend.close?.();
    }
  });

  it('are accepted as x:0 in requests over both protocols, and v2 answers under the names asked for', async () => {
    const server = await served(modelPath('tf-graph'));
    try {
      const features = float32([2, 4], 4);
      const want = (await new RemoteModel(server.url).infer({ features }, { outputNames: ['scores', 'class'] }))
        .outputs;
      const graphpipe = await new RemoteModel(server.url).infer(
        { 'features:0': features },
        { outputNames: ['scores:0', 'class'] },
      );
      expect(graphpipe.outputs).toEqual(want);
      const v2 = await new RemoteModel(`${server.url}/v2/models/tf-graph`).infer(
        { 'features:0': features },
        { outputNames: ['scores:0', 'class'] },
      );
      expect(v2.byName).toEqual({ 'scores:0': want[0], class: want[1] });
      // Only the other form of a declared name: anything else is still refused, naming the real ones.
      const refused = await fetch(`${server.url}/v2/models/tf-graph/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: [{ name: 'features:1', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
      });
      expect(refused.status).toBe(400);
      const { error } = (await refused.json()) as { error: string };
      expect(error).toContain(`unknown input "features:1"; the model's inputs are "features"`);
    } finally {
      await server.close();
    }
  });
});
