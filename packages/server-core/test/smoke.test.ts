import { RemoteModel } from '@graphpipe/client';
import { tensor } from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';
import { serve } from '@graphpipe/server-core/node';
import { expect, test } from 'vitest';

test('smoke', async () => {
  const backend = createFunctionBackend((inputs) => inputs['input0']!);
  const h = await serve(backend, { port: 0, logger: false });
  try {
    const m = new RemoteModel(h.url);
    const r = await m.infer(tensor(new Float32Array([1, 2, 3])));
    expect(Array.from(r.outputs[0]!.data as Float32Array)).toEqual([1, 2, 3]);
    const meta = await m.metadata();
    expect(meta.name).toBe('function');
  } finally {
    await h.close();
  }
});
