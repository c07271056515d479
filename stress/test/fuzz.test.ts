import { RemoteModel, tensor } from '@graphpipe/client';
import { expect, test } from 'vitest';
import { serveEcho } from '../src/echo-server.js';
import { runFuzz } from '../src/fuzz.js';

const CASES = 10_000;

test(`${CASES} mutated requests: only 200s and 400s, the server keeps serving, memory stays bounded`, async () => {
  const server = await serveEcho();
  try {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const report = await runFuzz({ url: server.url, cases: CASES, seed: 20181, concurrency: 8 });
    const rssGrowth = process.memoryUsage().rss - rssBefore;

    expect(report.failures).toEqual([]);
    expect(Object.keys(report.byStatus).sort()).toEqual(['200', '400']);
    // Most mutations must actually be rejected, or the fuzzer is not reaching the decoder.
    expect(report.byStatus[400]).toBeGreaterThan(CASES / 2);
    expect(rssGrowth).toBeLessThan(256 * 1024 * 1024);

    const { outputs } = await new RemoteModel(server.url).infer(tensor(new Float32Array([1, 2])));
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([1, 2]);
  } finally {
    await server.close();
  }
}, 120_000);
