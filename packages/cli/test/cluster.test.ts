import { execFileSync } from 'node:child_process';
import * as http from 'node:http';
import { encodeInferRequest, tensor } from '@graphpipe/protocol';
import { describe, expect, test, vi } from 'vitest';
import { cliBin, startUntil, stop } from './helpers.js';
import { ADMIN_TOKEN, put, useTempDirs } from './repository-helpers.js';

const tempDir = useTempDirs();
const iris = encodeInferRequest({ inputs: [tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4])] });

/** A POST on a connection of its own (a cluster hands out connections, not requests): its status. */
function post(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts `graphpipe serve … --workers N`; resolves with the URL, the workers' pids and the output so far. */
async function startCluster(
  args: string[],
  { workers = 2, env = {} }: { workers?: number; env?: NodeJS.ProcessEnv } = {},
) {
  const started = await startUntil(
    process.execPath,
    // With the heap flag given, `serve` runs in this process rather than starting itself again
    // with it (heap-room.ts), so the workers are this process's children.
    ['--initial-old-space-size=128', cliBin, 'serve', ...args, '--port', '0', '--workers', String(workers)],
    /on (http:\/\/\S+).*\(\d+ workers: pids ([\d, ]+)\)/,
    env,
  );
  const [, url, pids] = started.match;
  return { ...started, url: url!, pids: pids!.split(', ').map(Number) };
}

/** What a client saw: an answer's status, or the connection closed (reset, refused) without one. */
type Outcome = number | 'closed';

/** A POST on a fresh connection that gives up after `boundMs`: 'hung' when nothing came by then. */
function postWithin(url: string, body: Uint8Array, boundMs: number): Promise<Outcome | 'hung'> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
      res.on('error', () => resolve('closed'));
    });
    req.setTimeout(boundMs, () => {
      resolve('hung');
      req.destroy();
    });
    req.on('error', () => resolve('closed'));
    req.end(body);
  });
}

/** The pids of the workers serving now: the first two, less those that died, plus their replacements. */
function workerPids(output: string, first: number[]): number[] {
  const pids = new Set(first);
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes('workerPid')) continue;
    const { workerPid, msg } = JSON.parse(line) as { workerPid: number; msg: string };
    if (msg === 'worker restarted and serving') pids.add(workerPid);
    else pids.delete(workerPid);
  }
  return [...pids];
}

/** The pids of the primary's children now. */
const childrenOf = (pid: number) =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number);

/** The pids that logged a request line (pino's `pid`), in the output so far. */
function servingPids(output: string): Set<number> {
  const pids = new Set<number>();
  for (const line of output.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"status":200')) continue;
    pids.add((JSON.parse(line) as { pid: number }).pid);
  }
  return pids;
}

describe('graphpipe serve --workers', () => {
  test('two workers share the port and the metrics, SIGTERM drains both', async () => {
    const cluster = await startCluster(['models/iris-classifier.onnx']);
    try {
      for (let i = 0; i < 20; i++) expect(await post(cluster.url, iris)).toBe(200);
      await vi.waitFor(() => expect(servingPids(cluster.output())).toEqual(new Set(cluster.pids)));
      // One /metrics for the whole server, whichever worker answers it.
      for (let i = 0; i < 2; i++) {
        const metrics = await (await fetch(`${cluster.url}/metrics`, { headers: { connection: 'close' } })).text();
        expect(metrics).toMatch(
          /graphpipe_requests_total\{protocol="graphpipe",kind="infer",status="200",model="iris-classifier",version="[^"]*"\} 20\b/,
        );
      }
    } finally {
      expect(await stop(cluster.child, 'SIGTERM')).toBe(0);
    }
    for (const pid of cluster.pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);

  test('workers killed under load leave no request waiting: each gets an answer or a closed connection', async () => {
    const kills = 20;
    // Three workers, so that one can be killed while another is still starting and one serves.
    const cluster = await startCluster(['models/iris-classifier.onnx', '--quiet'], {
      workers: 3,
      env: { GRAPHPIPE_WORKER_RESTARTS: String(kills) },
    });
    const outcomes = new Map<Outcome | 'hung', number>();
    let loading = true;
    // Clients on fresh connections, each request bounded: one that waits 5 s counts as hung.
    const client = async () => {
      while (loading) {
        const outcome = await postWithin(cluster.url, iris, 5_000);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    };
    const clients = Array.from({ length: 3 }, client);
    const killed = new Set<number>();
    const serving = () => workerPids(cluster.output(), cluster.pids).filter((pid) => !killed.has(pid));
    try {
      for (let kill = 0; kill < kills; kill++) {
        // A serving worker every 0.6 s or so, as long as another one serves on.
        await new Promise((resolve) => setTimeout(resolve, 600));
        await vi.waitFor(() => expect(serving().length).toBeGreaterThanOrEqual(2), { timeout: 30_000, interval: 20 });
        const victim = serving()[0]!;
        killed.add(victim);
        process.kill(victim, 'SIGKILL');
      }
      // The last kill is a crash, not a worker failing the shutdown that follows.
      await vi.waitFor(() => expect(cluster.output().match(/"msg":"worker died/g)).toHaveLength(kills));
    } finally {
      loading = false;
      await Promise.all(clients);
      console.log(`outcomes over ${kills} kills:`, Object.fromEntries(outcomes));
      expect(await stop(cluster.child, 'SIGTERM')).toBe(0);
    }
    expect(outcomes.get('hung')).toBeUndefined();
    expect([...outcomes.keys()].filter((o) => o !== 200 && o !== 'closed')).toEqual([]);
    expect(outcomes.get(200)).toBeGreaterThan(kills * 10);
    // Generous: each kill waits for a replacement to serve, which takes seconds on a busy machine.
  }, 400_000);

  test("an administrator's unload and load reach every worker; --quiet keeps the workers' errors", async () => {
    const dir = await tempDir();
    await put(dir, 'iris.onnx', { bundled: 'iris-classifier.onnx' });
    await put(dir, 'conv.onnx', { bundled: 'tiny-conv.onnx' });
    await put(dir, 'broken.onnx', 'not a model');
    const cluster = await startCluster([dir, '--admin-token', ADMIN_TOKEN, '--no-watch', '--quiet']);
    // Quiet drops the request lines, not the errors: each worker says what failed to load.
    expect(cluster.output().match(/"msg":"model failed to load"/g)).toHaveLength(2);
    const admin = (path: string) =>
      post(`${cluster.url}${path}`, new Uint8Array(0), { authorization: `Bearer ${ADMIN_TOKEN}` });
    // The model declares its own name.
    const model = `${cluster.url}/models/iris-classifier`;
    try {
      expect(await admin('/v2/repository/models/iris-classifier/unload')).toBe(200);
      // Every connection lands on some worker; none serves the model any more.
      await vi.waitFor(async () => {
        for (let i = 0; i < 8; i++) expect(await post(model, iris)).toBe(404);
      }, 15_000);
      expect(await admin('/v2/repository/models/iris-classifier/load')).toBe(200);
      await vi.waitFor(async () => {
        for (let i = 0; i < 8; i++) expect(await post(model, iris)).toBe(200);
      }, 15_000);
    } finally {
      expect(await stop(cluster.child, 'SIGTERM')).toBe(0);
    }
  }, 60_000);

  test('racing loads and unloads are applied in one order by every worker, and answered once all have', async () => {
    const dir = await tempDir();
    await put(dir, 'iris.onnx', { bundled: 'iris-classifier.onnx' });
    const cluster = await startCluster([dir, '--admin-token', ADMIN_TOKEN]);
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const admin = (path: string) => post(`${cluster.url}/v2/repository${path}`, new Uint8Array(0), auth);
    const index = () =>
      fetch(`${cluster.url}/v2/repository/index`, { method: 'POST', headers: { ...auth, connection: 'close' } }).then(
        async (res) => JSON.stringify(await res.json()),
      );
    const model = `${cluster.url}/models/iris-classifier`;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const split: string[] = [];
    try {
      for (let round = 0; round < 20; round++) {
        const [first, second] = round % 2 ? ['unload', 'load'] : ['load', 'unload'];
        const answers = await Promise.all([
          admin(`/models/iris-classifier/${first}`),
          sleep(10).then(() => admin(`/models/iris-classifier/${second}`)),
        ]);
        expect(answers).toEqual([200, 200]);
        // Both answered: every worker has applied both, in the same order. Fresh connections reach both workers.
        const statuses = new Set(await Promise.all(Array.from({ length: 10 }, () => post(model, iris))));
        const indexes = new Set(await Promise.all(Array.from({ length: 6 }, index)));
        if (statuses.size > 1 || indexes.size > 1) split.push(`round ${round}: ${[...statuses]} ${[...indexes]}`);
      }
    } finally {
      expect(await stop(cluster.child, 'SIGTERM')).toBe(0);
    }
    expect(split).toEqual([]);
    // Both workers answered model requests, so each was asked whether it serves the model.
    const answering = new Set(
      cluster
        .output()
        .split('\n')
        .filter((line) => line.includes('"model":"iris-classifier"') && line.includes('"status":'))
        .map((line) => (JSON.parse(line) as { pid: number }).pid),
    );
    expect(answering).toEqual(new Set(cluster.pids));
  }, 60_000);

  test('a dead worker is replaced; a replacement killed before it is ready is replaced in turn; the other serves on', async () => {
    const cluster = await startCluster(['models/iris-classifier.onnx', '--quiet']);
    try {
      const [victim, survivor] = cluster.pids as [number, number];
      process.kill(victim, 'SIGKILL');
      await vi.waitFor(() => expect(childrenOf(cluster.child.pid!).filter((p) => p !== survivor)).toHaveLength(1));
      const [replacement] = childrenOf(cluster.child.pid!).filter((p) => p !== survivor);
      // Killed as soon as it exists: a worker takes far longer than this to load its model and
      // listen, so it is certainly still starting (a fixed 0.3 s could outlast a fast start).
      await new Promise((resolve) => setTimeout(resolve, 30));
      process.kill(replacement!, 'SIGKILL');
      // The survivor answers while the next replacement starts, and once it serves.
      for (let i = 0; i < 10; i++) expect(await post(cluster.url, iris)).toBe(200);
      await vi.waitFor(() => expect(cluster.output()).toContain('worker restarted and serving'), { timeout: 20_000 });
      expect(cluster.output()).toContain('worker died; starting another');
      expect(cluster.output()).toContain('worker died while starting; starting another');
      expect(cluster.output()).not.toContain('stopping');
      expect(() => process.kill(survivor, 0)).not.toThrow();
      for (let i = 0; i < 10; i++) expect(await post(cluster.url, iris)).toBe(200);
    } finally {
      expect(await stop(cluster.child, 'SIGTERM')).toBe(0);
    }
  }, 60_000);

  test('SIGTERM while a replacement is still starting: every worker stops, and the server exits 0', async () => {
    const cluster = await startCluster(['models/iris-classifier.onnx', '--quiet']);
    const [victim, survivor] = cluster.pids as [number, number];
    process.kill(victim, 'SIGKILL');
    await vi.waitFor(() => expect(childrenOf(cluster.child.pid!).filter((p) => p !== survivor)).toHaveLength(1));
    // The replacement has not yet loaded its model: the shutdown must still reach it once it does.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const exit = new Promise((resolve) => cluster.child.once('exit', resolve));
    process.kill(cluster.child.pid!, 'SIGTERM');
    const outcome = await Promise.race([
      exit,
      new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000)),
    ]);
    expect(outcome, cluster.output()).toBe(0);
  }, 60_000);

  test('past the restart limit the server drains as on SIGTERM and exits 1', async () => {
    const cluster = await startCluster(['models/iris-classifier.onnx', '--quiet', '--shutdown-grace', '2000'], {
      env: { GRAPHPIPE_WORKER_RESTARTS: '0' },
    });
    const exited = new Promise((resolve) => cluster.child.once('exit', resolve));
    process.kill(cluster.pids[0]!, 'SIGKILL');
    await vi.waitFor(() => expect(cluster.output()).toContain('workers keep dying; stopping'));
    // The survivor waits out its grace period: not ready, answering 503.
    const ready = await fetch(`${cluster.url}/readyz`, { headers: { connection: 'close' } });
    expect(ready.status).toBe(503);
    expect(await exited).toBe(1);
  }, 60_000);

  test('a model that does not load stops the whole cluster, saying why', async () => {
    const dir = await tempDir();
    await put(dir, 'broken.onnx', 'not a model');
    const started = startUntil(
      process.execPath,
      [cliBin, 'serve', `${dir}/broken.onnx`, '--port', '0', '--workers', '2'],
      /never/,
    );
    await expect(started).rejects.toThrow(/exited with 1 before it was ready:[\s\S]*cannot load ONNX model/);
  }, 60_000);
});
