/**
 * The wire's baseline: a plain Go net/http echo (servers/go-echo/main.go), built with `go build`
 * when the bench runs if `go` is on PATH (Debian: apt-get install golang-go). Optional: without Go
 * the large tier leaves it out and says why. Its memory and CPU are read from /proc, as the
 * Node servers' own harness reports theirs; it reports no GC counts.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { MemorySample, ServerProcess } from './server-process.js';

const SOURCE = fileURLToPath(new URL('./servers/go-echo/main.go', import.meta.url));
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s. */
const TICKS_PER_SECOND = 100;

/** Builds the echo; resolves to the binary, or to why there is none. */
export async function buildGoEcho(): Promise<{ binary: string } | { skipped: string }> {
  const dir = join(tmpdir(), 'graphpipe-bench');
  mkdirSync(dir, { recursive: true });
  const binary = join(dir, 'go-echo');
  try {
    await promisify(execFile)('go', ['build', '-o', binary, SOURCE], { cwd: dir });
    return { binary };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    return {
      skipped:
        e.code === 'ENOENT'
          ? 'go is not on PATH (Debian: apt-get install golang-go)'
          : `go build failed: ${(e.stderr ?? e.message).trim().split('\n')[0]}`,
    };
  }
}

/** Starts the built echo on a free loopback port. */
export async function startGoEcho(binary: string, timeoutMs = 10_000): Promise<ServerProcess> {
  // stdin stays open as a lifeline: the echo exits when it closes.
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`go echo did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
  });
  const pid = child.pid!;
  return {
    kind: 'go-echo',
    url,
    pid,
    async memory(reset = false) {
      const sample = readProc(pid);
      if (reset) writeFileSync(`/proc/${pid}/clear_refs`, '5');
      return sample;
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}

function readProc(pid: number): MemorySample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
  // Fields after the command name, which is in parentheses and may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const usPerTick = 1e6 / TICKS_PER_SECOND;
  return {
    rssBytes: kb('VmRSS'),
    peakBytes: kb('VmHWM'),
    peakSource: 'VmHWM',
    minorFaults: Number(fields[7]),
    cpuUserUs: Number(fields[11]) * usPerTick,
    cpuSystemUs: Number(fields[12]) * usPerTick,
  };
}
