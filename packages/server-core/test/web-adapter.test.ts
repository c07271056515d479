import { decodeInferResponse, encodeInferRequest, JOIN_BELOW_BYTES, tensor } from '@graphpipe/protocol';
import { createFetchHandler, createFunctionBackend, createServerCore } from '@graphpipe/server-core';
import { describe, expect, test, vi } from 'vitest';
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

describe('bodies read whole (declared and small) keep the limits of streamed ones', () => {
  const echo = () => createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' });
  /** A POST whose body stream sends `bytes` and then, unless `end`, never finishes. */
  const post = (bytes: Uint8Array, declared: number, end = true) =>
    new Request('http://server/', {
      method: 'POST',
      headers: { 'content-length': String(declared) },
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(bytes);
          if (end) controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
  const body = encodeInferRequest({ inputs: [tensor(new Float32Array([1, 2]), [1, 2])] });

  test('answered like a streamed one', async () => {
    const core = createServerCore(echo());
    const response = await createFetchHandler(core)(post(body, body.length));
    expect(response.status).toBe(200);
    expect(decodeInferResponse(new Uint8Array(await response.arrayBuffer())).outputs[0]!.data).toEqual(
      new Float32Array([1, 2]),
    );
    await core.close();
  });

  test('a body that stops coming gets 408 after the body timeout', async () => {
    const core = createServerCore(echo(), { bodyTimeoutMs: 100 });
    const response = await createFetchHandler(core)(post(body.subarray(0, 10), body.length, false));
    expect(response.status).toBe(408);
    await core.close();
  });

  test('no room for the body: 503, and the bytes held go back', async () => {
    const core = createServerCore(echo(), { maxInflightBytes: 8 });
    const response = await createFetchHandler(core)(post(body, body.length));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).not.toBeNull();
    expect(core.load().bytesInFlight).toBe(0);
    await core.close();
  });

  test('fewer bytes than declared: 400 naming how far the body got', async () => {
    const core = createServerCore(echo());
    const response = await createFetchHandler(core)(post(body.subarray(0, 10), body.length));
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/ended after 10 of/);
    expect(core.load().bytesInFlight).toBe(0);
    await core.close();
  });

  test('a body stream that fails partway: an error answer, and the bytes held go back', async () => {
    const core = createServerCore(echo());
    let pulls = 0;
    const request = new Request('http://server/', {
      method: 'POST',
      headers: { 'content-length': String(body.length) },
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          if (pulls++ === 0) controller.enqueue(body.subarray(0, 10));
          else controller.error(new Error('the upload broke'));
        },
      }),
      duplex: 'half',
    } as RequestInit);
    const response = await createFetchHandler(core)(request);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await response.text()).toMatch(/request body failed: the upload broke/);
    expect(pulls).toBeGreaterThanOrEqual(2);
    expect(core.load().bytesInFlight).toBe(0);
    await core.close();
  });

  test('an upload that breaks answers 499 "request body failed" whether the body is read whole or streamed', async () => {
    const core = createServerCore(echo());
    const breaking = (headers: Record<string, string>) =>
      new Request('http://server/', {
        method: 'POST',
        headers,
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(body.subarray(0, 10));
            controller.error(new Error('the upload broke'));
          },
        }),
        duplex: 'half',
      } as RequestInit);
    // Declared and small: read whole. Undeclared: streamed.
    for (const headers of [{ 'content-length': String(body.length) }, {}] as Record<string, string>[]) {
      const response = await createFetchHandler(core)(breaking(headers));
      expect({ status: response.status, text: await response.text() }).toEqual({
        status: 499,
        text: 'request body failed: the upload broke\n',
      });
      expect(core.load().bytesInFlight).toBe(0);
    }
    await core.close();
  });

  test('a small declared body is read with arrayBuffer() (its stream never made), a large one through the stream reader', async () => {
    const core = createServerCore(echo());
    const handle = createFetchHandler(core);
    const counting = new Float32Array(20_000).map((_, i) => i);
    const big = encodeInferRequest({ inputs: [tensor(counting, [counting.length])] });
    expect(body.length).toBeLessThan(JOIN_BELOW_BYTES);
    expect(big.length).toBeGreaterThanOrEqual(JOIN_BELOW_BYTES);
    for (const [bytes, whole, values] of [
      [body, true, new Float32Array([1, 2])],
      [big, false, counting],
    ] as const) {
      const request = post(bytes, bytes.length);
      const arrayBuffer = vi.spyOn(request, 'arrayBuffer');
      const stream = vi.spyOn(request, 'body', 'get');
      const response = await handle(request);
      expect(response.status).toBe(200);
      expect(decodeInferResponse(new Uint8Array(await response.arrayBuffer())).outputs[0]!.data).toEqual(values);
      expect(arrayBuffer).toHaveBeenCalledTimes(whole ? 1 : 0);
      expect(stream).toHaveBeenCalledTimes(whole ? 0 : 1);
    }
    await core.close();
  });

  test('more bytes than declared: 400', async () => {
    const core = createServerCore(echo());
    const response = await createFetchHandler(core)(post(body, body.length - 4));
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/longer than its Content-Length/);
    await core.close();
  });
});

test('headers prepared once for answers of a kind (direct) are never shared: a change to one answer stays in it', async () => {
  const core = createServerCore(createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' }));
  const handle = createFetchHandler(core, { 'access-control-allow-origin': '*' }, { direct: true });
  const body = encodeInferRequest({ inputs: [tensor(new Float32Array([1, 2]), [1, 2])] });
  const post = () => handle(new Request('http://server/', { method: 'POST', body }));
  const first = await post();
  first.headers.set('x-changed', 'yes');
  const second = await post();
  for (const response of [first, second]) {
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  }
  expect(second.headers.get('x-changed')).toBeNull();
  await core.close();
});

test('a body answered without being read (413 by its Content-Length) is drained first, so the runtime keeps the connection for the answer', async () => {
  const core = createServerCore(
    createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' }),
    {
      maxBodyBytes: 1024,
    },
  );
  const handle = createFetchHandler(core);
  const total = 256 * 1024;
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= total) return controller.close();
      controller.enqueue(new Uint8Array(16 * 1024));
      pulled += 16 * 1024;
    },
  });
  const response = await handle(
    new Request('http://server/', {
      method: 'POST',
      body,
      headers: { 'content-length': String(total) },
      duplex: 'half',
    } as RequestInit),
  );
  expect(response.status).toBe(413);
  expect(pulled).toBe(total);
  // A body that never ends is not waited for past a bound: a stream that fails is answered at once.
  const failing = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.error(new Error('the upload broke'));
    },
  });
  const refused = await handle(
    new Request('http://server/', {
      method: 'POST',
      body: failing,
      headers: { 'content-length': String(total) },
      duplex: 'half',
    } as RequestInit),
  );
  expect(refused.status).toBe(413);
  await core.close();
});
