import { RemoteModel } from '@graphpipe/client';
import { serve } from '@graphpipe/server-core/node';
import { describe, expect, it } from 'vitest';
import { createTfBackend } from '../src/index.js';
import { modelPath } from '@graphpipe/test-utils';

describe('served over GraphPipe', () => {
  it('answers a remote client, and refuses float64 for a float32 input with a 400', async () => {
    const backend = await createTfBackend(modelPath('tf-iris'));
    const server = await serve(backend, { port: 0, logger: false });
    try {
      const model = new RemoteModel(server.url);
      expect((await model.metadata()).inputs[0]).toMatchObject({ name: 'features', dtype: 'float32', shape: [-1, 4] });

      const setosa = { dtype: 'float32', shape: [1, 4], data: Float32Array.of(5.1, 3.5, 1.4, 0.2) } as const;
      const { byName } = await model.infer({ features: setosa });
      const p = Array.from(byName.probabilities!.data as Float32Array);
      expect(p.indexOf(Math.max(...p))).toBe(0);

      const asFloat64 = { dtype: 'float64', shape: [1, 4], data: Float64Array.of(5.1, 3.5, 1.4, 0.2) } as const;
      await expect(model.infer({ features: asFloat64 })).rejects.toMatchObject({ status: 400 });
    } finally {
      await server.close();
    }
  });
});
