import type { ServerResponse } from 'node:http';
import * as net from 'node:net';
import { encodeInferRequest, type GraphPipeError, isGraphPipeError, RemoteModel, tensor } from '@graphpipe/client';
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, test, vi } from 'vitest';
import { gate, useServers } from './helpers.js';

const start = useServers();

/** A backend that holds every call until the test opens its gate, and counts calls and closes. */
function slowBackend() {
  const release = gate();
  const entered: AbortSignal[] = [];
  let closes = 0;
  const fn = createFunctionBackend(async (inputs, { signal }) => {
    entered.push(signal);
    await release.promise;
    return tensor(
      (inputs.input0!.data as Float32Array).map((v) => v + 1),
      inputs.input0!.shape,
    );
  });
  const backend: Backend = {
    ...fn,
    infer: fn.infer.bind(fn),
    async close() {
      closes++;
    },
  };
  return { backend, release: () => release.open(), entered, closes: () => closes };
}

const until = (check: () => boolean | Promise<boolean>, what: string) =>
  vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`still waiting for ${what}`);
    },
    { timeout: 3000, interval: 5 },
  );

/** How many requests wait for an inference slot, from the server's own gauge at GET /metrics. */
async function queuedCount(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('graphpipe_inferences_queued{'));
  if (!line) throw new Error('no graphpipe_inferences_queued in /metrics');
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('overload', () => {
  test('concurrency 1, maxQueue 1: of three concurrent requests two succeed and one gets 503 with Retry-After', async () => {
    const slow = slowBackend();
    const { url } = await start(slow.backend, { concurrency: 1, maxQueue: 1 });
    const model = new RemoteModel(url);
    const settled: Array<PromiseSettledResult<unknown>> = [];
    const calls = [1, 2, 3].map((i) =>
      model.infer(tensor(new Float32Array([i]))).then(
        (r) => settled.push({ status: 'fulfilled', value: Array.from(r.outputs[0]!.data as Float32Array)[0] }),
        (e: unknown) => settled.push({ status: 'rejected', reason: e }),
      ),
    );
    // One runs, one waits, the third is turned away while the model is still busy.
    await until(() => settled.length === 1, 'the rejected request');
    expect(slow.entered).toHaveLength(1);
    const err = (settled[0] as PromiseRejectedResult).reason as GraphPipeError;
    expect(isGraphPipeError(err)).toBe(true);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBe(1);
    expect(err.message).toMatch(/server busy: 1 inferences running and 1 queued/);
    slow.release();
    await Promise.all(calls);
    const values = settled
      .slice(1)
      .map((s) => (s as PromiseFulfilledResult<number>).value)
      .sort();
    expect(settled.slice(1).every((s) => s.status === 'fulfilled')).toBe(true);
    expect(values).toHaveLength(2);
    expect(slow.entered).toHaveLength(2);
    // Each successful answer is its own input + 1.
    for (const v of values) expect([2, 3, 4]).toContain(v);
  });

  test('the 503 is a one-line text/plain answer with a Retry-After header', async () => {
    const slow = slowBackend();
    const { url } = await start(slow.backend, { concurrency: 1, maxQueue: 0 });
    const body = encodeInferRequest({ inputs: [tensor(new Float32Array([1]))] });
    const first = fetch(url, { method: 'POST', body });
    await until(() => slow.entered.length === 1, 'the first request to run');
    const busy = await fetch(url, { method: 'POST', body });
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(busy.headers.get('content-type')).toMatch(/^text\/plain/);
    expect((await busy.text()).split('\n').filter(Boolean)).toHaveLength(1);
    slow.release();
    expect((await first).status).toBe(200);
    // With the model free again, requests are accepted.
    expect((await fetch(url, { method: 'POST', body })).status).toBe(200);
  });

  test('a queued request whose caller aborts gives its queue slot back', async () => {
    const slow = slowBackend();
    const { url } = await start(slow.backend, { concurrency: 1, maxQueue: 1 });
    const model = new RemoteModel(url);
    const first = model.infer(tensor(new Float32Array([1])));
    await until(() => slow.entered.length === 1, 'the first request to run');
    const abort = new AbortController();
    const queued = model.infer(tensor(new Float32Array([2])), { signal: abort.signal });
    await until(async () => (await queuedCount(url)) === 1, 'the second request to queue');
    // The queue is full now: a probe is turned away.
    await expect(model.infer(tensor(new Float32Array([0])))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    abort.abort();
    await expect(queued).rejects.toMatchObject({ code: 'ABORTED' });
    await until(async () => (await queuedCount(url)) === 0, 'the server to give the slot back');
    // The slot is free again: this one queues instead of being turned away.
    const third = model.infer(tensor(new Float32Array([3])));
    await until(async () => (await queuedCount(url)) === 1, 'the third request to queue');
    slow.release();
    expect(Array.from((await first).outputs[0]!.data as Float32Array)).toEqual([2]);
    expect(Array.from((await third).outputs[0]!.data as Float32Array)).toEqual([4]);
    expect(slow.entered).toHaveLength(2); // the aborted request never reached the model
  });
});

describe('listening', () => {
  test('serve() rejects when the port is taken', async () => {
    const first = await start(createFunctionBackend((inputs) => inputs.input0!));
    await expect(
      start(
        createFunctionBackend((inputs) => inputs.input0!),
        { port: first.port },
      ),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  test('the handle reports the real port and a loopback URL', async () => {
    const h = await start(createFunctionBackend((inputs) => inputs.input0!));
    expect(h.port).toBeGreaterThan(0);
    expect(h.url).toBe(`http://127.0.0.1:${h.port}`);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });
});

describe('abort', () => {
  test('a client abort while the backend runs aborts the signal the backend received', async () => {
    const slow = slowBackend();
    const { url } = await start(slow.backend);
    const abort = new AbortController();
    const call = new RemoteModel(url).infer(tensor(new Float32Array([1])), { signal: abort.signal });
    await until(() => slow.entered.length === 1, 'the backend to start');
    const signal = slow.entered[0]!;
    expect(signal.aborted).toBe(false);
    abort.abort();
    const err = await call.catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ABORTED', status: 499 });
    await until(() => signal.aborted, 'the backend signal to abort');
    slow.release();
  });
});

/** Sends raw HTTP/1.1 on one socket and collects everything until the server closes it. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d) => chunks.push(d));
  socket.on('error', () => {});
  const closed = new Promise<string>((resolve) =>
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1'))),
  );
  return { socket, closed, received: () => Buffer.concat(chunks).toString('latin1') };
}

describe('graceful close', () => {
  test('close() with a request in flight: not ready, the request completes, backend closed once, new connections refused', async () => {
    const slow = slowBackend();
    const handle = await start(slow.backend, { drainTimeoutMs: 5000 });
    const responses: ServerResponse[] = [];
    handle.server.on('request', (_req, res: ServerResponse) => responses.push(res));
    const conn = rawConnection(handle.port);
    const body = Buffer.from(encodeInferRequest({ inputs: [tensor(new Float32Array([41]))] }));
    conn.socket.write(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n`);
    conn.socket.write(body);
    await until(() => slow.entered.length === 1, 'the backend to start');

    const closing = [handle.close(), handle.close()];
    // On the open connection (new ones are refused), readiness and new inferences now answer 503.
    conn.socket.write('GET /control/is_ready HTTP/1.1\r\nhost: x\r\n\r\n');
    conn.socket.write('GET /readyz HTTP/1.1\r\nhost: x\r\n\r\n');
    conn.socket.write(`POST / HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`);
    conn.socket.write(body);
    // The server has its three answers ready, but HTTP/1.1 sends answers in order:
    // nothing reaches the socket while the first request runs.
    const later = () => responses.slice(1);
    await until(() => later().length === 3 && later().every((r) => r.writableEnded), 'the three answers');
    expect(conn.received()).toBe('');
    await expect(fetch(handle.url)).rejects.toThrow(); // the listener is closed
    expect(slow.closes()).toBe(0); // not while a request is in flight

    slow.release();
    const answers = await conn.closed;
    await Promise.all(closing);
    const statuses = [...answers.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    expect(statuses).toEqual([200, 503, 503, 503]);
    expect(answers).toContain('not ready');
    expect(answers).toContain('server is shutting down');
    // The in-flight answer is complete: its payload (41 + 1 = 42 as float32) is there.
    expect(answers).toContain(Buffer.from(new Float32Array([42]).buffer).toString('latin1'));
    expect(slow.closes()).toBe(1);
    // Afterwards nobody is listening.
    const err = await new RemoteModel(handle.url, { retries: 0 }).metadata().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'NETWORK' });
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  test('close() with a keep-alive client: the in-flight fetch gets its complete 200', async () => {
    const slow = slowBackend();
    const handle = await start(slow.backend);
    const model = new RemoteModel(handle.url);
    await model.metadata(); // an idle keep-alive connection now exists
    const call = model.infer(tensor(new Float32Array([1, 2, 3])));
    await until(() => slow.entered.length === 1, 'the backend to start');
    const closed = handle.close();
    // close() stops listening within a turn of the event loop, then drains.
    await until(() => !handle.server.listening, 'the listener to close');
    slow.release();
    const { outputs } = await call;
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([2, 3, 4]);
    await closed;
    expect(slow.closes()).toBe(1);
  });

  test('close() with nothing in flight resolves promptly and calls backend close once', async () => {
    const slow = slowBackend();
    const handle = await start(slow.backend);
    await new RemoteModel(handle.url).metadata();
    const began = performance.now();
    await Promise.all([handle.close(), handle.close()]);
    await handle.close();
    expect(performance.now() - began).toBeLessThan(1000);
    expect(slow.closes()).toBe(1);
  });

  test('the drain timeout bounds close(): a stuck request gets a complete 503 and its signal is aborted', async () => {
    const slow = slowBackend();
    const handle = await start(slow.backend, { drainTimeoutMs: 200 });
    const call = new RemoteModel(handle.url).infer(tensor(new Float32Array([1]))).catch((e: unknown) => e);
    await until(() => slow.entered.length === 1, 'the backend to start');
    const began = performance.now();
    await handle.close();
    // The drain timeout under test: close() waited for it (200 ms, less timer slack) before cutting off.
    expect(performance.now() - began).toBeGreaterThanOrEqual(150);
    expect(slow.closes()).toBe(1);
    const err = await call;
    // Not a reset: the request had no answer on its way yet, so it is told to retry elsewhere.
    expect(err).toMatchObject({ code: 'UNAVAILABLE', status: 503, retryAfter: 1 });
    await until(() => slow.entered[0]!.aborted, 'the stuck request to be aborted');
    slow.release();
  });
});
