import { createFunctionBackend } from '@graphpipe/server-core';
import { expect, test } from 'vitest';
import { useServers } from './helpers.js';

const start = useServers();
const echo = () => createFunctionBackend((inputs) => inputs.input0!);

test('idle keep-alive connections outlive common load balancer timeouts unless configured', async () => {
  const byDefault = await start(echo());
  expect(byDefault.server.keepAliveTimeout).toBe(65_000);
  expect(byDefault.server.headersTimeout).toBeGreaterThan(byDefault.server.keepAliveTimeout);
  const custom = await start(echo(), { keepAliveTimeoutMs: 1_000 });
  expect(custom.server.keepAliveTimeout).toBe(1_000);
});
