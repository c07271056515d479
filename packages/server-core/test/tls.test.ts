import { RemoteModel, tensor } from '@graphpipe/client';
import { createTlsFetch } from '@graphpipe/client/node';
import { createFunctionBackend } from '@graphpipe/server-core';
import { selfSignedCertificate } from '@graphpipe/test-utils/tls';
import { expect, test } from 'vitest';
import { gate, useServers } from './helpers.js';

const start = useServers();

test('with tls, serve answers over HTTPS with Node TLS, and shutdown lets a request in flight finish', async () => {
  const pems = await selfSignedCertificate();
  const release = gate();
  const double = createFunctionBackend(async ({ input0 }) => {
    await release.promise;
    return tensor((input0!.data as Float32Array).map((v) => v * 2));
  });
  const server = await start(double, { tls: pems });
  expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const model = new RemoteModel(server.url, { fetch: createTlsFetch({ ca: pems.cert }) });
  const inFlight = model.infer(tensor(new Float32Array([1, 2, 3])));
  await expect.poll(() => server.core.models.find().running).toBe(1);
  const closed = server.close();
  release.open();
  expect(Array.from((await inFlight).outputs[0]!.data as Float32Array)).toEqual([2, 4, 6]);
  await closed;
  await expect(model.metadata()).rejects.toThrow(/ECONNREFUSED/);
});
