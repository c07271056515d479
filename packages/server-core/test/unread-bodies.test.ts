import * as net from 'node:net';
import { encodeInferRequest, tensor } from '@graphpipe/client';
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, test } from 'vitest';
import { sleep, useServers } from './helpers.js';

const start = useServers();

const echo = () => createFunctionBackend((inputs) => inputs.input0!);

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * One raw HTTP/1.1 connection: `answer()` resolves with the next whole answer the server sends
 * (heads parsed, bodies by Content-Length), `closed` once the server closes the socket.
 */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let buffered = '';
  const answers: Answer[] = [];
  const waiting: Array<(a: Answer) => void> = [];
  socket.on('error', () => {});
  socket.on('data', (d: Buffer) => {
    buffered += d.toString('latin1');
    for (;;) {
      const headEnd = buffered.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const [statusLine, ...lines] = buffered.slice(0, headEnd).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (buffered.length < headEnd + 4 + length) return;
      const body = buffered.slice(headEnd + 4, headEnd + 4 + length);
      buffered = buffered.slice(headEnd + 4 + length);
      const answer = { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)![1]), headers, body };
      const next = waiting.shift();
      if (next) next(answer);
      else answers.push(answer);
    }
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  /** The next answer, or a rejection when none comes within two seconds. */
  const answer = () =>
    Promise.race([
      answers.length > 0 ? Promise.resolve(answers.shift()!) : new Promise<Answer>((resolve) => waiting.push(resolve)),
      sleep(2000).then(() => Promise.reject(new Error('no answer within 2 s'))),
    ]);
  /** Whether the server closed the socket within `ms`. */
  const closesWithin = (ms: number) => Promise.race([closed.then(() => true), sleep(ms).then(() => false)]);
  return { socket, answer, closesWithin };
}

describe('a declared body left unread closes the connection after the answer', () => {
  const MAX = 1024;

  test('a Content-Length far over maxBodyBytes, with no body sent: 413, connection: close, socket closed', async () => {
    const { port } = await start(echo(), { maxBodyBytes: MAX });
    const conn = rawConnection(port);
    conn.socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10000000\r\n\r\n');
    const answer = await conn.answer();
    expect(answer.status).toBe(413);
    expect(answer.body).toContain(`limit of ${MAX} bytes`);
    expect(answer.headers.connection).toBe('close');
    // The server does not wait for ten megabytes that will never come.
    expect(await conn.closesWithin(2000)).toBe(true);
    conn.socket.destroy();
  });

  test('a chunked body passing maxBodyBytes: 413, connection: close, socket closed', async () => {
    const { port } = await start(echo(), { maxBodyBytes: MAX });
    const conn = rawConnection(port);
    conn.socket.write('POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(600);
    // Two chunks of 600 bytes: 1200 > 1024, and no terminating chunk is ever sent.
    for (let i = 0; i < 2; i++) {
      conn.socket.write(`${chunk.length.toString(16)}\r\n`);
      conn.socket.write(chunk);
      conn.socket.write('\r\n');
      await sleep(20);
    }
    const answer = await conn.answer();
    expect(answer.status).toBe(413);
    expect(answer.headers.connection).toBe('close');
    expect(await conn.closesWithin(2000)).toBe(true);
    conn.socket.destroy();
  });

  test('a bodiless GET answered at once keeps the connection for the next request', async () => {
    const { port } = await start(echo());
    const conn = rawConnection(port);
    conn.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    const first = await conn.answer();
    expect(first.status).toBe(200);
    expect(first.headers.connection).not.toBe('close');
    conn.socket.write('GET /control/is_alive HTTP/1.1\r\nhost: x\r\n\r\n');
    const second = await conn.answer();
    expect(second.status).toBe(200);
    expect(second.body.trim()).toBe('ok');
    expect(second.headers.connection).not.toBe('close');
    expect(await conn.closesWithin(100)).toBe(false);
    conn.socket.destroy();
  });
});

describe('a backend whose infer throws synchronously', () => {
  test('each request gets 500 and the model slot is given back', async () => {
    let calls = 0;
    const backend: Backend = {
      metadata: { name: 'thrower', inputs: [{ name: 'input0' }], outputs: [{ name: 'output0' }] },
      concurrency: 1,
      infer() {
        calls++;
        throw new Error('thrown before any promise');
      },
    };
    const handle = await start(backend);
    const body = encodeInferRequest({ inputs: [tensor(new Float32Array([1]))] });
    for (let i = 0; i < 2; i++) {
      // With the slot never given back, the second request would wait for ever: bound it.
      const res = await fetch(handle.url, { method: 'POST', body, signal: AbortSignal.timeout(2000) });
      expect(res.status).toBe(500);
      expect(await res.text()).toContain('thrown before any promise');
    }
    expect(calls).toBe(2);
    expect(handle.core.load().running).toBe(0);
  });
});
