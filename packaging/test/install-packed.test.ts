/**
 * What a user gets from the registry: the packages as `pnpm pack` makes them (workspace ranges
 * rewritten, only their `files`), installed into an empty project, and a program that uses
 * nothing else. A file left out of a package, a missing export or an undeclared dependency
 * fails here, while the workspace's own tests would still pass.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { typeCheck } from './type-check.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name: string) => join(repoRoot, 'node_modules/.bin', name);
const PACKED = ['protocol', 'client', 'playground', 'server-core', 'onnx-common', 'backend-onnx'];
const execFileAsync = promisify(execFile);

/** Runs a command; a failure says which one and shows what it printed (pnpm reports errors on stdout). */
async function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }) {
  try {
    return await execFileAsync(command, args, options);
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${options.cwd}:\n${stdout}${stderr}`, { cause: err });
  }
}

/**
 * A user's shell: nothing of the pnpm that may be running this suite (its npm_* settings would
 * reach the install), and onnxruntime-node's CPU-only install as its README and ours say.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
}

let work: string;
let app: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'graphpipe-packaging-'));
  const tarballs = join(work, 'tarballs');
  app = join(work, 'app');
  mkdirSync(app);
  // Packs what `pnpm build` left in each dist/, as publishing would.
  for (const pkg of PACKED) {
    if (!existsSync(join(repoRoot, 'packages', pkg, 'dist/index.js'))) {
      throw new Error(`packages/${pkg} is not built; run \`pnpm build\` first (\`pnpm test\` does)`);
    }
  }
  await Promise.all(
    PACKED.map((pkg) =>
      run(bin('pnpm'), ['pack', '--pack-destination', tarballs], { cwd: join(repoRoot, 'packages', pkg) }),
    ),
  );
  const packed = Object.fromEntries(
    readdirSync(tarballs).map((file) => [
      `@graphpipe/${file.replace(/^graphpipe-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')}`,
      `file:${join(tarballs, file)}`,
    ]),
  );
  expect(Object.keys(packed).sort()).toEqual(PACKED.map((pkg) => `@graphpipe/${pkg}`).sort());
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'graphpipe-user',
      private: true,
      type: 'module',
      dependencies: packed,
      pnpm: {
        // The packed packages ask for each other by version (^0.1.0): here the tarballs stand in for the registry.
        overrides: packed,
        // Let onnxruntime-node's install script run, as npm would: ONNXRUNTIME_NODE_INSTALL=skip must keep
        // it from downloading the CUDA provider (from outside the npm registry).
        onlyBuiltDependencies: ['onnxruntime-node'],
      },
    }),
  );
  const install = [
    'install',
    '--prefer-offline', // the store already holds the dependencies
    '--no-frozen-lockfile', // in CI pnpm would otherwise insist on a lockfile
    '--config.hoist=false', // a package sees only what it declares, not its neighbours' dependencies
    '--config.side-effects-cache=false', // run onnxruntime-node's script, not a result cached from another run
  ];
  await run(bin('pnpm'), install, { cwd: app, env: userEnv() });
  copyFileSync(fileURLToPath(new URL('../consumer/serve-iris.mjs', import.meta.url)), join(app, 'serve-iris.mjs'));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed packages, installed into an empty project', () => {
  test('type-check a program that uses every export, against their declarations', () => {
    const problems = typeCheck(
      join(app, 'serve-iris.mjs'),
      [join(repoRoot, 'node_modules/@types')],
      /[/\\]node_modules[/\\]@graphpipe[/\\]/,
    );
    expect(problems).toEqual([]);
  }, 60_000);

  test('serve the Iris model and call it, with nothing but the installed packages', async () => {
    const model = join(repoRoot, 'models/iris-classifier.onnx');
    const { stdout } = await run(process.execPath, ['serve-iris.mjs', model], { cwd: app, env: userEnv() });
    expect(JSON.parse(stdout)).toEqual({
      name: 'iris-classifier',
      labels: [0, 2],
      v2Labels: [0, 2],
      v2Datatype: 'INT64',
      webApp: 'function',
      page: 'text/html; charset=utf-8',
      conformanceCases: expect.any(Number),
      otherRuntimes: [
        '@graphpipe/server-core/bun needs Bun; on Node use @graphpipe/server-core/node',
        '@graphpipe/server-core/deno needs Deno; on Node use @graphpipe/server-core/node',
      ],
    });
  }, 60_000);

  test("onnxruntime-node's install script fetched no CUDA provider", () => {
    const installed = readdirSync(join(app, 'node_modules/.pnpm'), { recursive: true, encoding: 'utf8' });
    expect(installed.some((path) => path.includes('onnxruntime-node/bin/'))).toBe(true);
    expect(installed.filter((path) => /providers_(cuda|tensorrt)/.test(path))).toEqual([]);
  });

  test('the ONNX backend for Node brings no WebAssembly runtime', () => {
    const installed = readdirSync(join(app, 'node_modules/.pnpm'));
    expect(installed.filter((name) => name.startsWith('onnxruntime-web'))).toEqual([]);
  });
});
