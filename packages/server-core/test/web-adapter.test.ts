import { encodeInferRequest, tensor } from '@graphpipe/protocol';
import { createFetchHandler, createFunctionBackend, createServerCore } from '@graphpipe/server-core';
import { expect, test, vi } from 'vitest';
import { gate, sleep } from './helpers.js';

test('a request turned away by a drain that ran out of time gets its 503 at once, while its model still runs', async () => {
  const hold = gate();
  const core = createServerCore(
    createFunctionBackend(
      async (inputs) => {
        await hold.promise;
        return inputs.input0!;
      },
      { name: 'held' },
    ),
  );
  const handle = createFetchHandler(core);
  const body = encodeInferRequest({ inputs: [tensor(new Float32Array([1, 2]), [1, 2])] });
  const answer = handle(new Request('http://server/', { method: 'POST', body }));
  await vi.waitFor(() => expect(core.load().running).toBe(1));

  expect(core.turnAway()).toBe(1);
  const response = await Promise.race([answer, sleep(2000).then(() => 'no answer within 2 s')]);
  expect(response).toBeInstanceOf(Response);
  expect((response as Response).status).toBe(503);
  expect((response as Response).headers.get('retry-after')).not.toBeNull();
  hold.open();
  await core.close();
});

test('while shutting down, work is turned away with 503 even when its declared body is over the limit', async () => {
  const core = createServerCore(
    createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' }),
    {
      maxBodyBytes: 16,
    },
  );
  core.lifecycle.ready = false;
  const handle = createFetchHandler(core);
  const body = new Uint8Array(64);
  const response = await handle(
    new Request('http://server/', { method: 'POST', body, headers: { 'content-length': String(body.length) } }),
  );
  expect(response.status).toBe(503);
  expect(await response.text()).toMatch(/shutting down/);
  await core.close();
});
