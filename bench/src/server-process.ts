/** Starts a benchmark server (./servers/*.ts) in a child process under tsx and talks to it over IPC. */
import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ChildMessage, GcTotals, ParentMessage } from './servers/harness.js';

export type ServerKind =
  | 'graphpipe-identity'
  | 'graphpipe-grpc'
  | 'bare-echo'
  | 'bare-sink'
  | 'json-echo'
  | 'graphpipe-onnx';

export interface MemorySample {
  readonly rssBytes: number;
  /** Peak RSS since the previous reset. */
  readonly peakBytes: number;
  readonly peakSource: 'VmHWM' | 'sampled';
  /** Process totals: CPU time (µs) and minor page faults (first touches of fresh pages). */
  readonly cpuUserUs: number;
  readonly cpuSystemUs: number;
  readonly minorFaults: number;
  /** Garbage collections so far (Node servers; the Go echo reports none). */
  readonly gc?: GcTotals;
}

export interface ServerProcess {
  readonly kind: ServerKind | 'go-echo';
  readonly url: string;
  readonly pid: number;
  /** Current and peak RSS; `reset` starts a new peak window. */
  memory(reset?: boolean): Promise<MemorySample>;
  close(): Promise<void>;
}

const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const tsconfig = fileURLToPath(new URL('../tsconfig.run.json', import.meta.url));

/**
 * Extra node flags for the server children, e.g. BENCH_SERVER_NODE_OPTIONS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof" to profile the servers.
 */
const extraFlags = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);

/**
 * Every Node server child runs as `graphpipe serve` does, with room in V8's old generation
 * (docs/operations.md, Memory): without it a server past V8's 8 MB marking threshold collects its
 * whole heap every large request or two, while the bare echo, under it, never does.
 * BENCH_HEAP_ROOM_MB=0 runs them without, as a plain `node server.js` would.
 */
const heapRoomMb = Number(process.env.BENCH_HEAP_ROOM_MB ?? 128);
const heapFlags = heapRoomMb > 0 ? [`--initial-old-space-size=${heapRoomMb}`] : [];
/** And room in the C heap, as the CLI's server process gets (packages/cli/src/heap-room.ts). */
const cHeapRoom =
  heapRoomMb > 0 ? { MALLOC_TRIM_THRESHOLD_: String(256 * 2 ** 20), MALLOC_TOP_PAD_: String(64 * 2 ** 20) } : {};

export async function startServer(
  kind: ServerKind,
  args: readonly string[] = [],
  timeoutMs = 30_000,
): Promise<ServerProcess> {
  const file = fileURLToPath(new URL(`./servers/${kind}.ts`, import.meta.url));
  const child = fork(file, [...args], {
    execArgv: ['--import', tsxLoader, ...heapFlags, ...extraFlags],
    env: { ...cHeapRoom, ...process.env, TSX_TSCONFIG_PATH: tsconfig },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${kind} server did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (m: ChildMessage) => {
      if (m.type === 'ready' || m.type === 'error') {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (m.type === 'ready') resolve(m.url);
        else reject(new Error(`${kind} server failed to start: ${m.message}`));
      }
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${kind} server exited with code ${code} before it was ready`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });

  const request = (m: ParentMessage) => child.send(m);
  return {
    kind,
    url,
    pid: child.pid!,
    memory(reset = false) {
      return new Promise<MemorySample>((resolve, reject) => {
        const onMessage = (m: ChildMessage) => {
          if (m.type !== 'mem') return;
          child.off('message', onMessage);
          resolve(m);
        };
        child.on('message', onMessage);
        try {
          request({ type: 'mem', reset });
        } catch (err) {
          child.off('message', onMessage);
          reject(err);
        }
      });
    },
    close: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      child.send({ type: 'close' } satisfies ParentMessage);
    } catch {
      child.kill();
    }
  });
}

/** Runs `fn` with a started server and always stops it afterwards. */
export async function withServer<T>(
  kind: ServerKind,
  fn: (s: ServerProcess) => Promise<T>,
  args: readonly string[] = [],
): Promise<T> {
  const server = await startServer(kind, args);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}
