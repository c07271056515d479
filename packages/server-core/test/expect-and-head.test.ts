import { encodeInferRequest, tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import { rawExchange } from '@graphpipe/test-utils';
import { describe, expect, test } from 'vitest';
import { useServers } from './helpers.js';

const start = useServers();
const echo = () => createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' });

/**
 * The answers in what a raw exchange received: status, headers (lower-cased names) and body
 * (`head`: answers to HEAD, which have none whatever length they declare).
 */
function answers(text: string, head = false) {
  const found: { status: number; headers: Record<string, string>; body: string }[] = [];
  let rest = text;
  while (rest.startsWith('HTTP/1.1 ')) {
    const end = rest.indexOf('\r\n\r\n');
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = Object.fromEntries(
      lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
    );
    rest = rest.slice(end + 4);
    const length = Number(headers['content-length'] ?? 0);
    const status = Number(statusLine!.split(' ')[1]);
    // An interim answer has no body; the others have the length they declare.
    const body = status === 100 || head ? '' : rest.slice(0, length);
    rest = rest.slice(body.length);
    found.push({ status, headers, body });
  }
  return { found, trailing: rest };
}

describe('Expect: 100-continue', () => {
  test('a declared body over the limit gets its 413 at once, never 100 Continue', async () => {
    const { port } = await start(echo(), { maxBodyBytes: 1024 });
    const received = await rawExchange(
      port,
      'POST / HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 10000000\r\n\r\n',
    );
    const { found } = answers(received);
    expect(found.map((a) => a.status)).toEqual([413]);
    expect(found[0]!.headers.connection).toBe('close');
  });

  test('a body within the limit is invited, then answered', async () => {
    const { port } = await start(echo(), { maxBodyBytes: 1024 });
    const body = Buffer.from(encodeInferRequest({ inputs: [tensor(new Float32Array([1, 2]))] }));
    const head = `POST / HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\nconnection: close\r\ncontent-length: ${body.length}\r\n\r\n`;
    const received = await rawExchange(port, head + body.toString('latin1'));
    expect(answers(received).found.map((a) => a.status)).toEqual([100, 200]);
  });
});

describe('HEAD', () => {
  test("every GET route answers HEAD with the GET's status and headers, and no body", async () => {
    const server = await start(echo());
    for (const [path, accept] of [
      ['/', '*/*'],
      ['/', 'text/html'],
      ['/ui', '*/*'],
      ['/models', '*/*'],
      ['/models/echo', '*/*'],
      ['/models/echo/versions/1', '*/*'],
      ['/models/echo/examples', '*/*'],
      ['/healthz', '*/*'],
      ['/readyz', '*/*'],
      ['/control/is_alive', '*/*'],
      ['/v2', '*/*'],
      ['/v2/health/live', '*/*'],
      ['/v2/health/ready', '*/*'],
      ['/v2/models/echo', '*/*'],
      ['/v2/models/echo/ready', '*/*'],
      ['/v2/models/echo/versions/1/ready', '*/*'],
      ['/metrics', '*/*'],
    ] as const) {
      const get = await fetch(`${server.url}${path}`, { headers: { accept } });
      const length = (await get.arrayBuffer()).byteLength;
      const received = await rawExchange(
        server.port,
        `HEAD ${path} HTTP/1.1\r\nhost: x\r\naccept: ${accept}\r\nconnection: close\r\n\r\n`,
      );
      const [head] = answers(received, true).found;
      expect([path, accept, head?.status]).toEqual([path, accept, get.status]);
      expect(head!.headers['content-type']).toBe(get.headers.get('content-type') ?? undefined);
      // The GET's length, with no body after it (a scrape's own numbers change its length from one to the next).
      if (path !== '/metrics') expect(Number(head!.headers['content-length'])).toBe(length);
      expect(answers(received, true).trailing).toBe('');
    }
  });

  test('HEAD on a path no GET answers is still 404', async () => {
    const server = await start(echo());
    const received = await rawExchange(
      server.port,
      'HEAD /nowhere/at/all HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n',
    );
    expect(received).toMatch(/^HTTP\/1\.1 404 /);
  });
});
