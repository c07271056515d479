import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A loopback port nothing listens on: bound on port 0, then released. Connecting to it is refused
 * until something listens on it, which a test may then do itself.
 */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
