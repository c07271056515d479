import { RemoteModel, tensor } from '@graphpipe/client';
import { expect, test } from 'vitest';
import { serveEcho } from '../src/echo-server.js';
import { runFuzz } from '../src/fuzz.js';

const CASES = 10_000;
// FUZZ_SEED replays another run; the seed is printed either way.
const SEED = Number(process.env.FUZZ_SEED ?? 20182);

test(`${CASES} mutated Open Inference Protocol requests: only 200s and 4xx JSON errors, the server keeps serving`, async () => {
  console.log(`v2 fuzz: ${CASES} cases, seed ${SEED} (FUZZ_SEED=${SEED} replays them)`);
  const server = await serveEcho();
  try {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const report = await runFuzz({ url: server.url, cases: CASES, seed: SEED, concurrency: 8, protocol: 'v2' });
    const rssGrowth = process.memoryUsage().rss - rssBefore;

    expect(report.failures).toEqual([]);
    expect(Object.keys(report.byStatus).sort()).toEqual(['200', '400']);
    // Most mutations are refused, and enough get through to run the model: both paths are reached.
    expect(report.byStatus[400]).toBeGreaterThan(CASES / 2);
    expect(report.byStatus[200]).toBeGreaterThan(CASES / 50);
    expect(rssGrowth).toBeLessThan(256 * 1024 * 1024);

    const model = new RemoteModel(`${server.url}/v2/models/echo`);
    const { outputs } = await model.infer({ input0: tensor(new Float32Array([1, 2])) });
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([1, 2]);
  } finally {
    await server.close();
  }
}, 180_000);
