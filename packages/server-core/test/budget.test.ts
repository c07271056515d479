import { RemoteModel, tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, test, vi } from 'vitest';
import { ByteBudget } from '../src/http/budget.js';
import { gate, useServers } from './helpers.js';

const start = useServers();

describe('ByteBudget', () => {
  test('takes up to its limit, refuses beyond it without taking, and gives back', () => {
    const budget = new ByteBudget(100);
    budget.take(60);
    expect(() => budget.take(41)).toThrow(expect.objectContaining({ code: 'UNAVAILABLE', retryAfter: 1 }));
    expect(budget.inUse).toBe(60);
    budget.take(40);
    budget.give(60);
    expect(budget.inUse).toBe(40);
  });
});

describe('bytes in flight', () => {
  test('a request that would exceed maxInflightBytes gets a clean 503 while another holds its body', async () => {
    const hold = gate();
    let calls = 0;
    const backend = createFunctionBackend(async ({ input0 }) => {
      if (calls++ === 0) await hold.promise;
      return input0!;
    });
    const server = await start(backend, { maxInflightBytes: 6 * 2 ** 20, maxBodyBytes: 4 * 2 ** 20 });
    const model = new RemoteModel(server.url, { retries: 0 });
    const big = tensor(new Float32Array(2 ** 20 * 0.75)); // ~3 MiB
    const first = model.infer(big);
    await vi.waitFor(() => expect(calls, 'the first request to reach the backend').toBe(1), { timeout: 5000 });
    // The first body is now held by the waiting backend.
    // The second does not fit beside the first: refused with Retry-After, and its upload is
    // drained, so the client sees the 503 rather than a reset connection.
    await expect(model.infer(big)).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503, retryAfter: 1 });
    // Small requests still fit.
    const small = await model.infer(tensor(new Float32Array([1])));
    expect(Array.from(small.outputs[0]!.data as Float32Array)).toEqual([1]);
    hold.open();
    expect((await first).outputs[0]!.data.length).toBe(big.data.length);
    // Everything was given back: the big request fits again.
    expect((await model.infer(big)).outputs[0]!.data.length).toBe(big.data.length);
  });
});
