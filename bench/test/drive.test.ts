import { expect, test } from 'vitest';
import { drive } from '../src/drive.js';

test('drive counts the rows of every client, however their requests interleave', async () => {
  let calls = 0;
  const once = async () => {
    calls++;
    await new Promise((resolve) => setImmediate(resolve));
    return 2;
  };
  const r = await drive(
    { concurrency: 5, durationMs: 0, minRequestsPerClient: 4, maxRequests: 1000, warmupPerClient: 0 },
    once,
  );
  expect(r.requests).toBe(20);
  expect(calls).toBe(20);
  expect(r.rows).toBe(40);
});
