/**
 * The Iris model served on each runtime as the root README's "Runs on" table says: Node through
 * the CLI, Bun and Deno through their native entry points (src/bun.ts, src/deno.ts), each the
 * binary from the workspace's dev dependencies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type RuntimeName, runtimeBinary } from '@graphpipe/test-utils';
import { afterAll, describe, expect, test } from 'vitest';
import { checkGracefulStop, checkIrisServer, MAX_BODY_MB, type Served, startServing } from './iris-server.js';

const MODEL = 'models/iris-classifier.onnx';
const FLAGS = ['--port', '0', '--max-body-mb', String(MAX_BODY_MB), '--shutdown-grace', '500'];

/** What the README's table says to run; the tests add FLAGS. */
const COMMANDS: Record<RuntimeName, readonly string[]> = {
  node: ['packages/cli/dist/bin.js', 'serve', MODEL],
  bun: ['examples/runtimes/src/bun.ts', MODEL],
  deno: ['run', '-A', 'examples/runtimes/src/deno.ts', MODEL],
};

test('the README\'s "Runs on" table shows these commands', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const [runtime, args] of Object.entries(COMMANDS)) expect(readme).toContain(`\`${runtime} ${args.join(' ')}\``);
});

describe.each(Object.keys(COMMANDS) as RuntimeName[])('the Iris model on %s', (runtime) => {
  let served: Served | undefined;
  afterAll(() => {
    served?.child.kill('SIGKILL');
  });

  test('answers our client and the original bytes, serves the playground page; refuses malformed and oversize bodies; stops gracefully', async () => {
    const quiet = runtime === 'node' ? ['--quiet'] : [];
    served = await startServing(runtimeBinary(runtime), [...COMMANDS[runtime], ...FLAGS, ...quiet]);
    await checkIrisServer(served.url, { metrics: true });
    await checkGracefulStop(served);
  }, 30_000);
});
