import { RemoteModel } from '@graphpipe/client';
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { createTfBackend } from '@graphpipe/backend-tf';
import { GraphPipeError, tensor } from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';
import { backendConformanceCases } from '@graphpipe/server-core/testing';
import { describe, expect, it, test } from 'vitest';
import {
  createArgmaxBackend,
  createEnsembleBackend,
  createPipelineBackend,
  createRemoteBackend,
} from '../src/index.js';
import { floats, irisRows, start } from './helpers.js';
import { rejection, liveContext, modelPath } from '@graphpipe/test-utils';

const onnxIris = () => createOnnxBackend(modelPath('iris-classifier.onnx'));
const tfIris = () => createTfBackend(modelPath('tf-iris'));

/** The example's composition: the mean of both classifiers' probabilities, then its argmax. */
function irisEnsemble(members: Parameters<typeof createEnsembleBackend>[0]['members']) {
  return createPipelineBackend({
    name: 'iris-ensemble',
    stages: [
      { name: 'vote', backend: createEnsembleBackend({ name: 'vote', members, combine: { probabilities: 'mean' } }) },
      { name: 'label', backend: createArgmaxBackend({ shape: [-1, 3] }) },
    ],
    returns: ['probabilities', 'label'],
  });
}

describe('an ensemble of the ONNX and TF.js Iris classifiers', () => {
  it('answers the mean of what each model answers on its own, and its argmax', async () => {
    const [onnx, tf] = [await onnxIris(), await tfIris()];
    const { features, labels } = irisRows(9);
    const direct = await Promise.all([onnx, tf].map((b) => b.infer({ features }, ['probabilities'], liveContext())));
    const expected = floats(direct[0]!.probabilities!).map((p, i) => (p + floats(direct[1]!.probabilities!)[i]!) / 2);

    const ensemble = irisEnsemble({ 'onnx-iris': onnx, 'tf-iris': tf });
    expect(ensemble.metadata.inputs).toEqual([{ name: 'features', dtype: 'float32', shape: [-1, 4] }]);
    expect(ensemble.metadata.outputs).toEqual([
      { name: 'probabilities', dtype: 'float32', shape: [-1, 3] },
      { name: 'label', dtype: 'int64', shape: [-1] },
    ]);
    const out = await ensemble.infer({ features }, ['probabilities', 'label'], liveContext());
    expect(out.probabilities!.shape).toEqual([9, 3]);
    floats(out.probabilities!).forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 6));
    expect(Array.from(out.label!.data as BigInt64Array, Number)).toEqual(labels);
    await ensemble.close!();
  });

  it('gives the same answer through servers, with remote members', async () => {
    const [onnx, tf] = [await onnxIris(), await tfIris()];
    const { features } = irisRows(5);
    const local = await irisEnsemble({ onnx, tf }).infer({ features }, ['probabilities', 'label'], liveContext());
    const remote = irisEnsemble({
      onnx: await createRemoteBackend((await start(onnx)).url),
      tf: await createRemoteBackend((await start(tf)).url),
    });
    const served = await new RemoteModel((await start(remote)).url).infer({ features });
    expect(floats(served.outputs[0]!)).toEqual(floats(local.probabilities!));
    expect(served.outputs[1]!.data).toEqual(local.label!.data);
  });
});

describe('when a member is down', () => {
  it('answers 503 naming the member and its URL, then serves again once the member is back', async () => {
    const onnxServer = await start(await onnxIris());
    const tfServer = await start(await tfIris());
    const ensemble = await start(
      createEnsembleBackend({
        name: 'iris-ensemble',
        members: {
          'onnx-iris': await createRemoteBackend(onnxServer.url),
          'tf-iris': await createRemoteBackend(tfServer.url),
        },
      }),
    );
    const client = new RemoteModel(ensemble.url);
    const { features } = irisRows(3);
    await client.infer({ features });

    await tfServer.close();
    const err = await rejection(client.infer({ features }));
    expect(err).toMatchObject({ status: 503 });
    expect((err as Error).message).toContain(`stage 'tf-iris' (${tfServer.url}) failed`);

    await start(await tfIris(), { port: tfServer.port });
    expect((await client.infer({ features })).outputs[0]!.shape).toEqual([3, 3]);
  });

  it('answers 502 when a member fails, and keeps a caller error a 400', async () => {
    const members = {
      fine: createFunctionBackend((inputs) => inputs.x!, {
        inputs: [{ name: 'x', dtype: 'float32' }],
        outputs: [{ name: 'y', dtype: 'float32' }],
      }),
      flaky: await createRemoteBackend(
        (
          await start(
            createFunctionBackend(
              ({ x }) => {
                if ((x!.data as Float32Array)[0]! < 0)
                  throw new GraphPipeError('INVALID_ARGUMENT', 'x cannot be negative');
                throw new Error('disk full');
              },
              { inputs: [{ name: 'x', dtype: 'float32' }], outputs: [{ name: 'y', dtype: 'float32' }] },
            ),
          )
        ).url,
      ),
    };
    const client = new RemoteModel((await start(createEnsembleBackend({ name: 'e', members }))).url);
    const failed = await rejection(client.infer({ x: tensor(Float32Array.of(1)) }));
    expect(failed).toMatchObject({ status: 502 });
    expect((failed as Error).message).toMatch(/stage 'flaky' \(http:\/\/127\.0\.0\.1:\d+\) failed: .*disk full/);
    const refused = await rejection(client.infer({ x: tensor(Float32Array.of(-1)) }));
    expect(refused).toMatchObject({ status: 400, message: expect.stringContaining("stage 'flaky'") });
    expect((refused as Error).message).toContain('x cannot be negative');
  });
});

describe('ensemble conformance (remote ONNX and TF.js members)', () => {
  for (const c of backendConformanceCases(async () =>
    irisEnsemble({
      onnx: await createRemoteBackend((await start(await onnxIris())).url),
      tf: await createRemoteBackend((await start(await tfIris())).url),
    }),
  )) {
    test(c.name, c.run);
  }
});
