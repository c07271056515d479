import { RemoteModel, tensor } from '@graphpipe/client';
import { expect, test } from 'vitest';
import { startOnnxServer } from '../src/server.js';

test('the example ONNX server classifies a batch of images with the conv model', async () => {
  const server = await startOnnxServer(undefined, { port: 0, logger: false });
  try {
    const model = new RemoteModel(server.url);
    const meta = await model.metadata();
    expect(meta.inputs[0]).toMatchObject({ name: 'image', dtype: 'float32', shape: [-1, 3, 32, 32] });
    const images = new Float32Array(4 * 3 * 32 * 32).map((_, i) => Math.sin(i));
    const { outputs } = await model.infer(tensor(images, [4, 3, 32, 32]));
    expect(outputs[0]!.shape).toEqual([4, 10]);
    // Softmax rows sum to one.
    const scores = outputs[0]!.data as Float32Array;
    for (let r = 0; r < 4; r++)
      expect(scores.subarray(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Its own limit: 32 MiB bodies.
    await expect(model.infer(tensor(new Float32Array(9 * 2 ** 20), [3, 3, 2 ** 20]))).rejects.toMatchObject({
      status: 413,
    });
  } finally {
    await server.close();
  }
});
