/**
 * The client's own tests, run again under Bun and Deno: vitest itself runs on each runtime's
 * binary, so fetch, streams and the test servers are that runtime's. (A real browser joins when
 * the playground's browser tests exist: add its runner to RUNNERS.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type RuntimeName, runToEnd, runtimeBinary } from '@graphpipe/test-utils';
import { describe, expect, test } from 'vitest';

/** How each runtime runs a Node program: Bun as itself (not as Node), Deno with every permission. */
const RUNNERS: Record<Exclude<RuntimeName, 'node'>, readonly string[]> = {
  bun: ['--bun'],
  deno: ['run', '-A'],
};

// runtimes.test.ts is this file; node-*.test.ts test @graphpipe/client/node, which trusts a CA
// through undici: Node's fetch alone.
const EXCLUDE = ['**/runtimes.test.ts', '**/node-*.test.ts'];

/** The arguments each runtime's binary gets, run from the repository's root as the README shows them. */
const args = (runtime: keyof typeof RUNNERS) => [
  ...RUNNERS[runtime],
  'node_modules/vitest/vitest.mjs',
  'run',
  'packages/client',
  ...EXCLUDE.flatMap((glob) => ['--exclude', glob]),
];

/** The README's command: GRAPHPIPE_RUNTIME tells client.test.ts which runtime to expect; globs quoted for the shell. */
const commandLine = (runtime: keyof typeof RUNNERS) =>
  [`GRAPHPIPE_RUNTIME=${runtime}`, runtime, ...args(runtime).map((a) => (a.includes('*') ? `'${a}'` : a))].join(' ');

test('the README\'s "Runs on" table shows these commands', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const runtime of Object.keys(RUNNERS) as (keyof typeof RUNNERS)[]) {
    expect(readme).toContain(`\`${commandLine(runtime)}\``);
  }
});

describe.each(Object.keys(RUNNERS) as (keyof typeof RUNNERS)[])('the client on %s', (runtime) => {
  test("every test of the client's passes", async () => {
    const binary = runtimeBinary(runtime);
    const { code, stdout, stderr } = await runToEnd(binary, args(runtime), {
      env: { ...process.env, GRAPHPIPE_RUNTIME: runtime, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const summary = /^tests: (\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(stdout);
    expect(summary, `${runtime} ran no test:\n${stdout}${stderr}`).not.toBeNull();
    expect({ code, failed: Number(summary![2]) }, stdout + stderr).toEqual({ code: 0, failed: 0 });
    expect(Number(summary![1])).toBeGreaterThan(20);
  }, 60_000);
});
