import { createFunctionBackend } from '@graphpipe/server-core';
import { serve, type ServerHandle } from '@graphpipe/server-core/node';
import type { Tensor as TfTensor } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTfBackend, registerRemoteOp, remoteModelOp, type TfBackend } from '../src/index.js';
import { modelPath, liveContext } from '@graphpipe/test-utils';

/** Held-out rows: setosa, versicolor, virginica. */
const ROWS = [5.3, 3.7, 1.5, 0.2, 5.7, 2.8, 4.5, 1.3, 6.9, 3.1, 5.4, 2.1];

/** A local graph: features → (the remote Iris model) → ArgMax, as a converter would write it. */
const graph = (opName: string) => ({
  format: 'graph-model',
  modelTopology: {
    node: [
      {
        name: 'features',
        op: 'Placeholder',
        attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '4' }] } } },
      },
      { name: 'remote', op: opName, input: ['features'], attr: {} },
      {
        name: 'axis',
        op: 'Const',
        attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [] } } } },
      },
      {
        name: 'label',
        op: 'ArgMax',
        input: ['remote', 'axis'],
        attr: { T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' }, output_type: { type: 'DT_INT32' } },
      },
    ],
    versions: { producer: 1 },
  },
  weightSpecs: [{ name: 'axis', shape: [], dtype: 'int32' as const }],
  weightData: Int32Array.of(1).buffer,
});

describe('calling a remote GraphPipe model from TF.js', () => {
  let iris: TfBackend;
  let server: ServerHandle;
  beforeAll(async () => {
    iris = await createTfBackend(modelPath('tf-iris'));
    server = await serve(iris, { port: 0, logger: false });
  });
  afterAll(() => server.close());

  it('remoteModelOp answers what the served model answers locally', async () => {
    const { tf } = iris.engine;
    const classify = remoteModelOp(tf, server.url, { inputName: 'features', outputName: 'probabilities' });
    const x = tf.tensor2d(ROWS, [3, 4]);
    const remote = await classify(x);
    const local = await iris.infer(
      { features: { dtype: 'float32', shape: [3, 4], data: Float32Array.from(ROWS) } },
      ['probabilities'],
      liveContext(),
    );
    expect(remote.shape).toEqual([3, 3]);
    expect(Array.from(await remote.data())).toEqual(Array.from(local.probabilities!.data as Float32Array));
    expect(Array.from(await remote.argMax(-1).data())).toEqual([0, 1, 2]);
    tf.dispose([x, remote]);
  });

  it('runs as a custom op inside a local graph model with executeAsync, and execute() refuses it', async () => {
    const { tf } = iris.engine;
    const unregister = registerRemoteOp(tf, 'GraphPipeRemote', server.url, { outputNames: ['probabilities'] });
    try {
      const model = await tf.loadGraphModel(tf.io.fromMemory(graph('GraphPipeRemote')));
      const x = tf.tensor2d(ROWS, [3, 4]);
      const label = (await model.executeAsync({ features: x }, 'label')) as TfTensor;
      expect(Array.from(await label.data())).toEqual([0, 1, 2]);
      expect(() => model.execute({ features: x }, 'label')).toThrow(/returned a promise.*executeAsync/s);
      tf.dispose([x, label]);
      model.dispose();
    } finally {
      unregister();
    }
  });

  it('passes config, refuses answers TF.js cannot hold, and fails with the URL when the server is down', async () => {
    const { tf } = iris.engine;
    const echo = await serve(
      createFunctionBackend(
        (_inputs, { config }) => ({
          length: { dtype: 'int32', shape: [1], data: Int32Array.of(config.length) },
          wide: { dtype: 'int64', shape: [1], data: BigInt64Array.of(1n) },
        }),
        { outputs: [{ name: 'length' }, { name: 'wide' }] },
      ),
      { port: 0, logger: false },
    );
    const x = tf.tensor1d([1]);
    try {
      const length = await remoteModelOp(tf, echo.url, { outputName: 'length', config: 'abc' })(x);
      expect(Array.from(await length.data())).toEqual([3]);
      length.dispose();
      await expect(remoteModelOp(tf, echo.url, { outputName: 'wide' })(x)).rejects.toThrow(
        'answered wide as int64, which TF.js cannot hold',
      );
    } finally {
      await echo.close();
    }
    await expect(remoteModelOp(tf, echo.url, { retries: 0 })(x)).rejects.toMatchObject({
      code: 'NETWORK',
      message: expect.stringContaining(echo.url),
    });
    x.dispose();
  });
});
