import { expect, test } from 'vitest';
import { drive } from '../src/drive.js';

test('every client is counted: rows add up across concurrent clients', async () => {
  let calls = 0;
  const once = async () => {
    calls++;
    // Clients finish in an order of their own, as they do against a real server.
    await new Promise((resolve) => setTimeout(resolve, (calls * 7) % 5));
    return 3;
  };
  const result = await drive(
    { concurrency: 5, durationMs: 0, minRequestsPerClient: 4, maxRequests: 1_000, warmupPerClient: 1 },
    once,
  );
  expect(result.requests).toBe(20);
  expect(result.rows).toBe(60);
  expect(calls).toBe(25);
});
