import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { RemoteModel, tensor } from '@graphpipe/client';
import { describe, expect, test, vi } from 'vitest';
import { heapRoomFor } from '../src/heap-room.js';
import { cliBin, startUntil, stop } from './helpers.js';

/** The command lines of a process's children (Linux ps). */
const childrenOf = (pid: number): string[] =>
  execFileSync('ps', ['-o', 'args=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);

const READY = /serving (\S+) on (http:\/\/\S+)/;
const row = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]);

describe('graphpipe serve on Node runs with room in the old generation', () => {
  test('it starts itself again with --initial-old-space-size, passes SIGTERM on and exits as the server did', async () => {
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--quiet'],
      READY,
    );
    const [server] = childrenOf(child.pid!);
    expect(server).toMatch(/--initial-old-space-size=128 .*bin\.js serve models\/iris-classifier\.onnx/);
    // Room in the C heap too, where node:http's body buffers live.
    const serverPid = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).trim();
    const environ = readFileSync(`/proc/${serverPid}/environ`, 'utf8').split('\0');
    expect(environ).toContain('MALLOC_TRIM_THRESHOLD_=268435456');
    expect(environ).toContain('MALLOC_TOP_PAD_=67108864');
    expect((await new RemoteModel(match[2]!).infer(row)).outputs).toHaveLength(2);
    expect(await stop(child, 'SIGTERM')).toBe(0);
  }, 60_000);

  test('the server stops when the command in front of it is killed outright', async () => {
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--quiet', '--shutdown-grace', '0'],
      READY,
    );
    process.kill(child.pid!, 'SIGKILL');
    await vi.waitFor(() => expect(fetch(`${match[2]}/healthz`)).rejects.toThrow(), { timeout: 20_000, interval: 200 });
  }, 60_000);

  test('GRAPHPIPE_HEAP_ROOM_MB sets the room; 0, a heap flag of its own, Bun or another command serve as they are', () => {
    const serve = ['node', 'bin.js', 'serve', 'model.onnx'];
    expect(heapRoomFor(serve, [], {})).toBe(128);
    expect(heapRoomFor(serve, [], { GRAPHPIPE_HEAP_ROOM_MB: '512' })).toBe(512);
    expect(heapRoomFor(serve, [], { GRAPHPIPE_HEAP_ROOM_MB: '0' })).toBeUndefined();
    expect(heapRoomFor(serve, ['--initial-old-space-size=64'], {})).toBeUndefined();
    expect(heapRoomFor(['node', 'bin.js', 'info', 'http://x'], [], {})).toBeUndefined();
  });
});
