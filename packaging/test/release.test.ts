/**
 * `pnpm release` end to end, against a registry of our own: a copy of the workspace (the packages
 * as built, a changeset of its own) runs the root `release` script, `changeset version` then
 * `changeset publish`, into a Verdaccio started here on a loopback port; then an empty project
 * installs a published package from it and runs it. The repository itself is never versioned.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@graphpipe/test-utils';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { publishedPackages, repoRoot } from '../../scripts/published-packages.mjs';

const execFileAsync = promisify(execFile);
const pnpm = join(repoRoot, 'node_modules/.bin/pnpm');
const verdaccioBin = join(repoRoot, 'packaging/node_modules/verdaccio/bin/verdaccio');

let work: string;
let registry: ChildProcess | undefined;
let registryUrl: string;

/** Runs a command; a failure says which one and shows what it printed. */
async function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  try {
    return await execFileAsync(command, args, { cwd, env });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout}${stderr}`, { cause: err });
  }
}

/** Starts Verdaccio on a loopback port, anyone may publish, nothing proxied; resolves to its URL once it listens. */
async function startRegistry(dir: string): Promise<string> {
  const url = `http://127.0.0.1:${await freePort()}/`;
  const config = join(dir, 'verdaccio.yaml');
  writeFileSync(
    config,
    [
      `storage: ${join(dir, 'storage')}`,
      `auth: { htpasswd: { file: ${join(dir, 'htpasswd')} } }`,
      'uplinks: {}',
      "packages: { '**': { access: $all, publish: $all } }",
      'log: { type: stdout, format: json, level: warn }',
    ].join('\n'),
  );
  registry = spawn(process.execPath, [verdaccioBin, '--config', config, '--listen', url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let printed = '';
    registry?.stdout?.on('data', (chunk: Buffer) => {
      printed += chunk;
      // It names its address in its first warning, once it listens.
      if (printed.includes('http address')) resolve(url);
    });
    registry?.on('exit', (code) => reject(new Error(`verdaccio exited with ${code}:\n${printed}`)));
  });
}

/** A token for the registry: Verdaccio's htpasswd auth makes the user on first login, as `npm adduser` does. */
async function logIn(url: string): Promise<string> {
  const response = await fetch(new URL('-/user/org.couchdb.user:release', url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'release', password: 'release-password' }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

/** A shell whose npm settings are only the given user config (none of those of a pnpm running this suite). */
function envWith(userconfig: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, npm_config_userconfig: userconfig, ONNXRUNTIME_NODE_INSTALL: 'skip' };
}

/** The workspace's package directories, from pnpm-workspace.yaml's `packages` (plain paths and `dir/*`). */
function workspaceDirs(): string[] {
  const yaml = readFileSync(join(repoRoot, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [...yaml.matchAll(/^ {2}- (\S+)$/gm)].map((match) => match[1] as string);
  return globs.flatMap((glob) =>
    glob.endsWith('/*')
      ? readdirSync(join(repoRoot, glob.slice(0, -2)), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => `${glob.slice(0, -2)}/${entry.name}`)
      : [glob],
  );
}

/**
 * The workspace as a release sees it: the root manifest and workspace file, the changesets config,
 * the published packages' files as built, and the private packages' manifests only.
 */
function copyWorkspace(to: string) {
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset/config.json']) {
    cpSync(join(repoRoot, file), join(to, file));
  }
  const published = new Set(publishedPackages().map(({ dir }) => relative(repoRoot, dir).split(sep).join('/')));
  const skip = /[/\\](node_modules|test|\.turbo)$/;
  for (const dir of workspaceDirs()) {
    if (!existsSync(join(repoRoot, dir, 'package.json'))) continue;
    if (published.has(dir)) {
      cpSync(join(repoRoot, dir), join(to, dir), { recursive: true, filter: (path) => !skip.test(path) });
    } else {
      cpSync(join(repoRoot, dir, 'package.json'), join(to, dir, 'package.json'));
    }
  }
  // The root's tools (changeset, pnpm) as the release script finds them.
  symlinkSync(join(repoRoot, 'node_modules'), join(to, 'node_modules'), 'dir');
  linkWorkspaceDependencies(to, published);
}

/**
 * What `pnpm install` would link and `pnpm publish` reads to replace `workspace:` ranges: each
 * published package's @graphpipe dependencies, as the copy's own (versioned) packages.
 */
function linkWorkspaceDependencies(root: string, published: Set<string>) {
  const byName = new Map(
    workspaceDirs()
      .filter((dir) => existsSync(join(root, dir, 'package.json')))
      .map((dir) => [JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).name as string, dir]),
  );
  for (const dir of published) {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    // A package may list one both as a dependency and as a dev dependency: one link serves both.
    const ranges = new Map(
      [manifest.dependencies, manifest.devDependencies].flatMap((field) => Object.entries(field ?? {})),
    );
    for (const [name, range] of ranges) {
      const target = byName.get(name);
      if (!String(range).startsWith('workspace:') || !target) continue;
      mkdirSync(join(root, dir, 'node_modules/@graphpipe'), { recursive: true });
      symlinkSync(join(root, target), join(root, dir, 'node_modules', name), 'dir');
    }
  }
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'graphpipe-release-'));
  registryUrl = await startRegistry(work);
}, 30_000);

afterAll(() => {
  registry?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('pnpm release versions and publishes the packages; a user installs one from the registry', async () => {
  const token = await logIn(registryUrl);
  const npmrc = join(work, 'npmrc');
  const host = registryUrl.replace(/^http:/, '');
  writeFileSync(npmrc, `registry=${registryUrl}\n${host}:_authToken=${token}\n`);

  const workspace = join(work, 'workspace');
  copyWorkspace(workspace);
  writeFileSync(
    join(workspace, '.changeset/fix-a-codec.md'),
    "---\n'@graphpipe/protocol': patch\n---\n\nA codec fix, released here to check the release itself.\n",
  );
  await run(pnpm, ['run', 'release'], workspace, envWith(npmrc));

  // changeset version bumped what the changeset names and wrote its changelog...
  const protocol = JSON.parse(readFileSync(join(workspace, 'packages/protocol/package.json'), 'utf8'));
  expect(protocol.version).toBe('0.1.1');
  expect(readFileSync(join(workspace, 'packages/protocol/CHANGELOG.md'), 'utf8')).toContain('A codec fix');
  // ...and changeset publish sent every published package to the registry, with its files and license.
  const meta = (await (await fetch(new URL('@graphpipe%2fprotocol', registryUrl))).json()) as {
    'dist-tags': { latest: string };
    versions: Record<string, { repository: { directory: string } }>;
  };
  expect(meta['dist-tags'].latest).toBe('0.1.1');
  expect(meta.versions['0.1.1'].repository.directory).toBe('packages/protocol');
  for (const { manifest } of publishedPackages()) {
    const response = await fetch(new URL(manifest.name.replace('/', '%2f'), registryUrl));
    expect(response.status, manifest.name).toBe(200);
  }

  // A user's empty project takes @graphpipe from our registry and the rest from the npm registry.
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'release-user', private: true, type: 'module' }));
  const userNpmrc = join(work, 'user-npmrc');
  writeFileSync(userNpmrc, `@graphpipe:registry=${registryUrl}\n`);
  await run(pnpm, ['add', '@graphpipe/protocol', '--prefer-offline'], app, envWith(userNpmrc));
  const installed = join(app, 'node_modules/@graphpipe/protocol');
  expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version).toBe('0.1.1');
  expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toBe(readFileSync(join(repoRoot, 'LICENSE'), 'utf8'));
  const program = "import { toNpy, parseNpy } from '@graphpipe/protocol'; console.log(typeof toNpy, typeof parseNpy);";
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', program], app, envWith(userNpmrc));
  expect(stdout.trim()).toBe('function function');
}, 180_000);
