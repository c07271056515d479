import { RemoteModel, tensor } from '@graphpipe/client';
import { serve } from '@graphpipe/server-core/node';
import { expect, test } from 'vitest';
import { softmaxModel } from '../src/model.js';

test('the softmax function model answers over HTTP', async () => {
  const server = await serve(softmaxModel(), { port: 0, logger: false });
  try {
    const model = new RemoteModel(server.url);
    const { byName } = await model.infer(
      { logits: tensor(new Float32Array([0, 0, Math.log(2), 5, 1, 1]), [2, 3]) },
      {
        outputNames: ['probabilities', 'argmax'],
      },
    );
    expect(Array.from(byName.probabilities!.data as Float32Array).slice(0, 3)).toEqual(
      [0.25, 0.25, 0.5].map(Math.fround),
    );
    expect(Array.from(byName.argmax!.data as Int32Array)).toEqual([2, 0]);
    await expect(model.infer(tensor(new Float64Array([1, 2]), [1, 2]))).rejects.toMatchObject({ status: 400 });
  } finally {
    await server.close();
  }
});
