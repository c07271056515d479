import { encodeInferRequest, RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { type Backend, createFunctionBackend, createGraphPipeApp } from '@graphpipe/server-core';
import { expect, test } from 'vitest';
import { useServers } from './helpers.js';

const start = useServers();

/** An identity backend that records whether its input arrived in shared memory. */
function recording(sharedInputs: boolean) {
  const seen: boolean[] = [];
  const fn = createFunctionBackend((inputs) => {
    seen.push((inputs.input0!.data as Float32Array).buffer instanceof SharedArrayBuffer);
    return inputs.input0!;
  });
  const backend: Backend = { ...fn, infer: fn.infer.bind(fn), sharedInputs };
  return { backend, seen };
}

const x: Tensor = tensor(new Float32Array([1, 2, 3]), [3]);

test('a backend that runs inputs on other threads gets them in shared memory, on Node and through fetch', async () => {
  const shared = recording(true);
  const { url } = await start(shared.backend);
  const { outputs } = await new RemoteModel(url).infer(x);
  expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([1, 2, 3]);

  const app = createGraphPipeApp(shared.backend, { logger: false });
  const body = encodeInferRequest({ inputs: [x] });
  expect((await app.request('/', { method: 'POST', body })).status).toBe(200);
  // A streamed body of unknown length is gathered into shared memory too.
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(body.slice(0, 10));
      c.enqueue(body.slice(10));
      c.close();
    },
  });
  const streamed = await app.request('/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
  expect(streamed.status).toBe(200);
  expect(shared.seen).toEqual([true, true, true]);
});

test('other backends get ordinary memory', async () => {
  const plain = recording(false);
  const { url } = await start(plain.backend);
  await new RemoteModel(url).infer(x);
  expect(plain.seen).toEqual([false]);
});
