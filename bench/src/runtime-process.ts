/** A benchmark server run by Node, Bun or Deno (./servers/runtime-identity.ts), each through its own entry point. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type RuntimeName, runtimeBinary } from '@graphpipe/test-utils';

export interface RuntimeServer {
  readonly runtime: RuntimeName;
  readonly url: string;
  close(): Promise<void>;
}

const script = fileURLToPath(new URL('./servers/runtime-identity.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** How each runtime runs the script: Node through tsx (from the packages' dist/, as Bun and Deno resolve them). */
const ARGS: Record<RuntimeName, readonly string[]> = {
  node: ['--import', tsx, script],
  bun: [script],
  deno: ['run', '-A', script],
};

export function startRuntimeServer(runtime: RuntimeName, timeoutMs = 30_000): Promise<RuntimeServer> {
  const child = spawn(runtimeBinary(runtime), ARGS[runtime], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let printed = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the ${runtime} server did not start within ${timeoutMs} ms:\n${printed}`));
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      printed += text;
      const url = /^serving identity on (\S+)$/m.exec(printed)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({
        runtime,
        url,
        close() {
          child.kill('SIGINT'); // closes at once, then exits
          return exited;
        },
      });
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => (printed += text));
    child.once('error', reject);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the ${runtime} server exited before it was ready:\n${printed}`));
    });
  });
}
