/**
 * The client reports the code the server names in its graphpipe-error-code header, so two
 * mistakes that share a status (400) stay apart; a server that names none leaves the status to tell.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GraphPipeError, isGraphPipeError, RemoteModel, tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import { afterAll, describe, expect, test } from 'vitest';
import { useServers } from './helpers.js';

const start = useServers();

const strict = createFunctionBackend(({ a }) => a!, {
  name: 'strict',
  inputs: [{ name: 'a', dtype: 'float32', shape: [-1, 2] }],
  outputs: [{ name: 'a' }],
});
const rows = tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);

async function failure(p: Promise<unknown>): Promise<GraphPipeError> {
  const err = await p.then(
    () => expect.unreachable('expected the call to fail'),
    (e: unknown) => e,
  );
  expect(isGraphPipeError(err), String(err)).toBe(true);
  return err as GraphPipeError;
}

/** A fetch that sends these bytes instead of the request the client encoded. */
const sending =
  (bytes: Uint8Array): typeof fetch =>
  (url, init) =>
    fetch(url, { ...init, body: bytes, duplex: undefined } as RequestInit);

describe('against a graphpipe-ts server', () => {
  test('bytes that are not a GraphPipe message are INVALID_MESSAGE, with status 400', async () => {
    const server = await start(strict);
    const garbage = new TextEncoder().encode('this is not a flatbuffer at all');
    const err = await failure(new RemoteModel(server.url, { fetch: sending(garbage) }).infer(rows));
    expect([err.code, err.status]).toEqual(['INVALID_MESSAGE', 400]);
    expect(err.message).toContain(`${server.url} answered 400: Request: table offset`);
  });

  test("a tensor past the server's decode limits is INVALID_MESSAGE too", async () => {
    const server = await start(strict, { decodeLimits: { maxRank: 2 } });
    const cube = tensor(new Float32Array(8), [2, 2, 2]);
    const err = await failure(new RemoteModel(server.url).infer(cube));
    expect([err.code, err.status]).toEqual(['INVALID_MESSAGE', 400]);
    expect(err.message).toContain('over the limit of 2');
  });

  test('an unknown input name is INVALID_ARGUMENT, with status 400', async () => {
    const server = await start(strict);
    const err = await failure(new RemoteModel(server.url).infer(rows, { inputNames: ['nope'] }));
    expect([err.code, err.status]).toEqual(['INVALID_ARGUMENT', 400]);
    expect(err.message).toContain('unknown input "nope"');
  });
});

describe('against a server that names no code', () => {
  const plain = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request\n'));
  });
  afterAll(() => new Promise<void>((resolve) => plain.close(() => resolve())));

  test('a 400 without the header is INVALID_ARGUMENT, from the status', async () => {
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const err = await failure(new RemoteModel(url).infer(rows));
    expect([err.code, err.status, err.message]).toEqual(['INVALID_ARGUMENT', 400, `${url} answered 400: bad request`]);
  });
});
