import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { expect, test } from 'vitest';
import { freePort } from '../src/index.js';

test('freePort gives a port that refuses connections and can be listened on', async () => {
  const port = await freePort();
  const socket = connect(port, '127.0.0.1');
  const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
  expect(err.code).toBe('ECONNREFUSED');

  const server = createServer().listen(port, '127.0.0.1');
  await once(server, 'listening');
  expect((server.address() as { port: number }).port).toBe(port);
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
