/**
 * The Worker as it would be deployed: bundled by scripts/build.mjs, served by workerd (the runtime
 * of Cloudflare Workers, through miniflare, from the workspace's dev dependencies), answering with
 * onnxruntime-web. The same checks as every other runtime (../../runtimes/test/iris-server.ts),
 * less the metrics and readiness a Worker does not have, and the bundle against the size limit.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { runToEnd, workerdBinary } from '@graphpipe/test-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { checkIrisServer, type Served, startServing } from '../../runtimes/test/iris-server.js';

const root = fileURLToPath(new URL('..', import.meta.url));

test('the README\'s "Runs on" table shows how to start it', () => {
  const readme = readFileSync(join(root, '../../README.md'), 'utf8');
  expect(readme).toContain('`pnpm --filter @graphpipe/example-worker start`');
  // What `start` runs, as this file does.
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(scripts.start).toBe('node scripts/build.mjs && node scripts/serve.mjs');
});
const dist = join(root, 'dist');

/** Workers Paid: 10 MB after compression (Free: 3 MB). */
const WORKER_SIZE_LIMIT = 10 * 1024 * 1024;

beforeAll(async () => {
  workerdBinary(); // fails, saying what to install, where workerd has no build
  const built = await runToEnd(process.execPath, [join(root, 'scripts/build.mjs')]);
  expect(built.code, built.stdout + built.stderr).toBe(0);
}, 60_000);

describe('the Iris Worker under workerd', () => {
  let served: Served | undefined;
  afterAll(() => {
    served?.child.kill('SIGKILL');
  });

  test('answers our client and the original bytes, serves the playground page; refuses malformed and oversize bodies', async () => {
    served = await startServing(process.execPath, ['examples/worker/scripts/serve.mjs', '--port', '0']);
    await checkIrisServer(served.url, { metrics: false });
    served.child.kill('SIGTERM');
    expect(await served.exited, served.output()).toBe(128 + 15); // miniflare stops workerd, then exits
  }, 30_000);

  test('the bundle fits a Worker on the Paid plan, compressed as Cloudflare counts it', () => {
    const files = readdirSync(dist).sort();
    expect(files).toEqual(['iris-classifier.onnx', 'ort-wasm-simd-threaded.wasm', 'worker.js']);
    const compressed = files.reduce((sum, file) => sum + gzipSync(readFileSync(join(dist, file))).length, 0);
    expect(compressed).toBeLessThan(WORKER_SIZE_LIMIT);
  });
});
