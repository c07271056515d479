import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from '@graphpipe/test-utils';

export const repoRoot = REPO_ROOT;
export const cliBin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Starts a command and resolves once a line of its stdout matches `ready`. */
export async function startUntil(command: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}) {
  // Its own process group, so a test can stop the command and its children as Ctrl-C would.
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const m = ready.exec(output);
      if (m) resolve(m);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before it was ready:\n${output}`)));
  });
  return { child, match, output: () => output };
}

/** Runs the built CLI to completion, its output piped to the test. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliBin, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  child.stderr.on('data', (c: Buffer) => (stderr += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Sends `signal` to the child's whole process group and resolves with the child's exit code. */
export async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  process.kill(-child.pid!, signal);
  const [code] = (await exited) as [number | null];
  return code;
}

/** util-linux's `script`, which runs a command on a pseudo-terminal; absent on some systems. */
export const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs the built CLI with its output on a terminal (through `script`); resolves with what it printed. */
export async function runCliOnTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const command = [process.execPath, cliBin, ...args].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`graphpipe ${args.join(' ')} exited with ${code} on a terminal:\n${output}`);
  return output;
}
