/**
 * `graphpipe serve` on Node runs with room in V8's old generation. V8 counts every buffer
 * allocated since its last full collection against the old generation's limit, which it sets a
 * little above the live heap, and node:http allocates a buffer for every 64 KiB of every request
 * body. A server past V8's 8 MB threshold for incremental marking that takes megabytes per
 * request thus collects its whole heap every request or two, and runs at a fraction of what the
 * same process does with room (see docs/performance.md). The room is V8's
 * --initial-old-space-size, a floor under that limit, which can be set neither at run time nor in
 * NODE_OPTIONS: so the command starts itself again with it, and stays in front only to pass on
 * signals and the exit code. GRAPHPIPE_HEAP_ROOM_MB sets the room (0: none, run in this process).
 *
 * Those 64 KiB buffers come from the C heap, which glibc hands back to the kernel as they are freed
 * and faults in afresh for the next request; the server process is also started with room there
 * (MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_), unless the environment sets them already. Other C
 * libraries ignore both.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const DEFAULT_ROOM_MB = 128;
const HEAP_FLAGS = ['--initial-old-space-size', '--initial-heap-size'];
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
/** glibc keeps up to 256 MiB of freed memory, and grows its heap 64 MiB at a time (touched only as used). */
const C_HEAP_ROOM = { MALLOC_TRIM_THRESHOLD_: String(256 * 2 ** 20), MALLOC_TOP_PAD_: String(64 * 2 ** 20) };
/** Set in the server process: the pid of the command in front of it. */
const LAUNCHER = 'GRAPHPIPE_LAUNCHER_PID';

/** The room to start `serve` with, or undefined to serve from this process as it is. */
export function heapRoomFor(
  argv: readonly string[],
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): number | undefined {
  if (argv[2] !== 'serve' || 'Bun' in globalThis) return undefined;
  if (execArgv.some((arg) => HEAP_FLAGS.some((flag) => arg.startsWith(flag)))) return undefined;
  const asked = env.GRAPHPIPE_HEAP_ROOM_MB;
  const room = asked === undefined || asked === '' ? DEFAULT_ROOM_MB : Number(asked);
  return Number.isInteger(room) && room > 0 ? room : undefined;
}

/**
 * Runs this same command again with `roomMb` of old-generation room, and mirrors its exit. The
 * server runs in a process group of its own, so Ctrl-C reaches it once (passed on from here), and
 * an IPC channel, so it stops if this process is killed outright.
 */
export function serveWithHeapRoom(roomMb: number): void {
  const child = spawn(
    process.execPath,
    [...process.execArgv, `--initial-old-space-size=${roomMb}`, ...process.argv.slice(1)],
    {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env: { ...C_HEAP_ROOM, ...process.env, [LAUNCHER]: String(process.pid) },
    },
  );
  for (const signal of SIGNALS) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    console.error(`graphpipe: could not start the server process: ${err.message}`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
}

/** In the server process: stop as on SIGTERM when the command in front of it is gone. */
export function followLauncher(): void {
  // Cluster workers inherit the variable; only the launcher's own child follows it.
  if (!process.channel || process.env[LAUNCHER] !== String(process.ppid)) return;
  // The channel alone must not keep the process alive once the server has closed.
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
