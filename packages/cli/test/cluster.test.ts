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

/** Starts `graphpipe serve … --workers 2`; resolves with the URL, the workers' pids and the output so far. */
async function startCluster(args: string[]) {
  const started = await startUntil(
    process.execPath,
    [cliBin, 'serve', ...args, '--port', '0', '--workers', '2'],
    /on (http:\/\/\S+).*\(2 workers: pids (\d+), (\d+)\)/,
  );
  const [, url, a, b] = started.match;
  return { ...started, url: url!, pids: [Number(a), Number(b)] };
}

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
  test('two workers share the port and the metrics, a dead one is replaced, SIGTERM drains both', async () => {
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

      process.kill(cluster.pids[0]!, 'SIGKILL');
      await vi.waitFor(() => expect(cluster.output()).toContain('worker restarted and serving'), { timeout: 20_000 });
      expect(cluster.output()).toContain('worker died; starting another');
      for (let i = 0; i < 6; i++) expect(await post(cluster.url, iris)).toBe(200);
    } finally {
      expect(await stop(cluster.child, 'SIGTERM')).toBe(0);
    }
    for (const pid of cluster.pids.slice(1)) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);

  test("an administrator's unload and load reach every worker", async () => {
    const dir = await tempDir();
    await put(dir, 'iris.onnx', { bundled: 'iris-classifier.onnx' });
    await put(dir, 'conv.onnx', { bundled: 'tiny-conv.onnx' });
    const cluster = await startCluster([dir, '--admin-token', ADMIN_TOKEN, '--no-watch', '--quiet']);
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
