/**
 * The client's own tests, run again under Bun and Deno: vitest itself runs on each runtime's
 * binary, so fetch, streams and the test servers are that runtime's. (A real browser joins when
 * the playground's browser tests exist: add its runner to RUNNERS.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, type RuntimeName, runToEnd, runtimeBinary } from '@graphpipe/test-utils';
import { describe, expect, test } from 'vitest';

const VITEST = join(REPO_ROOT, 'node_modules/vitest/vitest.mjs');

/** How each runtime runs a Node program: Bun as itself (not as Node), Deno with every permission. */
const RUNNERS: Record<Exclude<RuntimeName, 'node'>, readonly string[]> = {
  bun: ['--bun'],
  deno: ['run', '-A'],
};

test('the README\'s "Runs on" table shows these commands', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  for (const [runtime, flags] of Object.entries(RUNNERS)) {
    expect(readme).toContain(`\`${runtime} ${flags.join(' ')} node_modules/vitest/vitest.mjs run packages/client\``);
  }
});

describe.each(Object.keys(RUNNERS) as (keyof typeof RUNNERS)[])('the client on %s', (runtime) => {
  test("every test of the client's passes", async () => {
    const binary = runtimeBinary(runtime);
    // node-*.test.ts test @graphpipe/client/node, which trusts a CA through undici: Node's fetch alone.
    const exclude = ['--exclude', '**/runtimes.test.ts', '--exclude', '**/node-*.test.ts'];
    const args = [...RUNNERS[runtime], VITEST, 'run', 'packages/client/', ...exclude];
    const { code, stdout, stderr } = await runToEnd(binary, args, {
      env: { ...process.env, GRAPHPIPE_RUNTIME: runtime, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    const summary = /^tests: (\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(stdout);
    expect(summary, `${runtime} ran no test:\n${stdout}${stderr}`).not.toBeNull();
    expect({ code, failed: Number(summary![2]) }, stdout + stderr).toEqual({ code: 0, failed: 0 });
    expect(Number(summary![1])).toBeGreaterThan(20);
  }, 60_000);
});
