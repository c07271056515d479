/**
 * The JavaScript runtimes the suite runs for real, taken from the workspace's dev dependencies:
 * `bun` and `deno` (each ships its binary in an optional package per platform) and miniflare's
 * `workerd`. The wrappers' install scripts only copy those binaries into place, and pnpm does not
 * run them here, so the binary is taken from the platform package itself.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type RuntimeName = 'node' | 'bun' | 'deno';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The runtime this code runs on. */
export function currentRuntime(): RuntimeName {
  if ('Bun' in globalThis) return 'bun';
  if ('Deno' in globalThis) return 'deno';
  return 'node';
}

interface Distribution {
  /** The dev dependency of the workspace root that brings the binary. */
  readonly wrapper: string;
  /** Its optional dependency for this platform, and the binary's path in it. */
  readonly platformPackage: (os: string, cpu: string) => string;
  readonly binary: string;
  readonly env: string;
  readonly site: string;
}

const DISTRIBUTIONS: Record<Exclude<RuntimeName, 'node'>, Distribution> = {
  bun: {
    wrapper: 'bun',
    platformPackage: (os, cpu) =>
      `@oven/bun-${os === 'win32' ? 'windows' : os}-${cpu === 'arm64' ? 'aarch64' : cpu}${isMusl() ? '-musl' : ''}`,
    binary: platform() === 'win32' ? 'bin/bun.exe' : 'bin/bun',
    env: 'GRAPHPIPE_BUN',
    site: 'https://bun.sh',
  },
  deno: {
    wrapper: 'deno',
    platformPackage: (os, cpu) => `@deno/${os}-${cpu}${os === 'linux' ? '-glibc' : ''}`,
    binary: platform() === 'win32' ? 'deno.exe' : 'deno',
    env: 'GRAPHPIPE_DENO',
    site: 'https://deno.com',
  },
};

function isMusl(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return platform() === 'linux' && !report?.header?.glibcVersionRuntime;
}

/**
 * The path of the runtime's binary: `$GRAPHPIPE_BUN` / `$GRAPHPIPE_DENO` when set, else the one the
 * workspace installed. Throws, saying what to install, where there is none: a test that needs a
 * runtime fails rather than skips.
 */
export function runtimeBinary(runtime: RuntimeName): string {
  if (runtime === 'node') return process.execPath;
  const d = DISTRIBUTIONS[runtime];
  const chosen = process.env[d.env];
  if (chosen) {
    if (!existsSync(chosen)) throw new Error(`${d.env} is ${chosen}, which does not exist`);
    return chosen;
  }
  const pkg = d.platformPackage(platform(), arch());
  try {
    const fromRoot = createRequire(join(REPO_ROOT, 'package.json'));
    const wrapper = dirname(fromRoot.resolve(`${d.wrapper}/package.json`));
    const binary = join(dirname(createRequire(join(wrapper, 'package.json')).resolve(`${pkg}/package.json`)), d.binary);
    if (existsSync(binary)) return binary;
  } catch {
    // Not installed: said below.
  }
  throw new Error(
    `${runtime} is not installed for ${platform()}-${arch()}: run \`pnpm install\`, which installs ${pkg} ` +
      `(an optional dependency of the ${d.wrapper} dev dependency) where npm has a build for this platform; ` +
      `elsewhere install ${runtime} (${d.site}) and set ${d.env} to its binary`,
  );
}

/**
 * workerd's binary, as miniflare will find it; throws, saying what to install, where there is none.
 * miniflare itself is a dev dependency of the workspace root.
 */
export function workerdBinary(): string {
  let binary: string | undefined;
  try {
    const fromRoot = createRequire(join(REPO_ROOT, 'package.json'));
    const fromMiniflare = createRequire(fromRoot.resolve('miniflare/package.json'));
    binary = (fromMiniflare('workerd') as { default: string }).default;
  } catch {
    // Unsupported platform: said below.
  }
  if (binary && existsSync(binary)) return binary;
  throw new Error(
    `workerd is not installed for ${platform()}-${arch()}: run \`pnpm install\`, which installs ` +
      `@cloudflare/workerd-${platform()}-${arch()} (an optional dependency of workerd, which miniflare depends on) ` +
      'where npm has a build for this platform (Linux and macOS on x64 and arm64, Windows on x64)',
  );
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end and collects what it printed. */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
