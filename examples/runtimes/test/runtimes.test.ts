/**
 * The Iris model served on each runtime as the root README's "Runs on" table says: Node and Bun
 * through the CLI (on Bun it answers with Bun.serve), Deno through its native entry point
 * (src/deno.ts), each the binary from the workspace's dev dependencies; and Bun's own example
 * (src/bun.ts) the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type RuntimeName, runtimeBinary } from '@graphpipe/test-utils';
import { afterAll, describe, expect, test } from 'vitest';
import { checkGracefulStop, checkIrisServer, MAX_BODY_MB, type Served, startServing } from './iris-server.js';

const MODEL = 'models/iris-classifier.onnx';
const FLAGS = ['--port', '0', '--max-body-mb', String(MAX_BODY_MB), '--shutdown-grace', '500'];
const CLI = ['packages/cli/dist/bin.js', 'serve', MODEL, '--quiet'];

/** What the README's table says to run; the tests add FLAGS (and --quiet to the CLI). */
const COMMANDS: Record<RuntimeName, readonly string[]> = {
  node: CLI,
  bun: CLI,
  deno: ['run', '-A', 'examples/runtimes/src/deno.ts', MODEL],
};
/** Served the same way: each command, by its runtime. */
const SERVED: readonly (readonly [RuntimeName, readonly string[]])[] = [
  ...(Object.entries(COMMANDS) as [RuntimeName, readonly string[]][]),
  ['bun', ['examples/runtimes/src/bun.ts', MODEL]],
];

test('the README\'s "Runs on" table shows these commands', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const [runtime, args] of Object.entries(COMMANDS)) {
    const shown = args.filter((arg) => arg !== '--quiet');
    expect(readme).toContain(`\`${runtime} ${shown.join(' ')}\``);
  }
});

describe.each(SERVED)('the Iris model on %s: %j', (runtime, args) => {
  let served: Served | undefined;
  afterAll(() => {
    served?.child.kill('SIGKILL');
  });

  test('answers our client and the original bytes, serves the playground page; refuses malformed and oversize bodies; stops gracefully', async () => {
    served = await startServing(runtimeBinary(runtime), [...args, ...FLAGS]);
    await checkIrisServer(served.url, { metrics: true });
    await checkGracefulStop(served);
  }, 30_000);
});
