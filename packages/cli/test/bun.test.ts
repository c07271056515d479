/**
 * `graphpipe serve` run by Bun (`bun packages/cli/dist/bin.js serve …`): Bun.serve answers, with
 * the CLI's features, over a real socket. The clients (RemoteModel, fetch, the CLI's info and
 * infer) run on Node, as a caller elsewhere would.
 */
import { RemoteModel, tensor } from '@graphpipe/client';
import { runToEnd, runtimeBinary } from '@graphpipe/test-utils';
import { describe, expect, test, vi } from 'vitest';
import { cliBin, runCli, startUntil, stop } from './helpers.js';
import { addingModel, certificateFiles, put, useTempDirs } from './repository-helpers.js';

/** Bun's binary, from the workspace's dev dependency (or $GRAPHPIPE_BUN); why not, where there is none. */
const bun = (() => {
  try {
    return { binary: runtimeBinary('bun') };
  } catch (err) {
    return { missing: (err as Error).message };
  }
})();

const tempDir = useTempDirs();
const row = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]);
const TIMEOUT = 60_000;

/** Starts `graphpipe serve …` on Bun; resolves with its URL once the summary says Bun.serve answers. */
function serveOnBun(args: string[], env: NodeJS.ProcessEnv = {}) {
  return startUntil(
    bun.binary!,
    [cliBin, 'serve', ...args],
    /^serving .* on (https?:\/\/\S+).* \(Bun\.serve, Bun [\d.]+\)$/m,
    env,
  );
}

describe.skipIf(!bun.binary)(`graphpipe serve on Bun${bun.missing ? ` (skipped: ${bun.missing})` : ''}`, () => {
  test(
    'serves a model over GraphPipe and the Open Inference Protocol, with request logs and metrics',
    async () => {
      const { child, match, output } = await serveOnBun(['models/iris-classifier.onnx', '--port', '0']);
      const url = match[1]!;
      try {
        const { byName } = await new RemoteModel(url).infer(row, { outputNames: ['label'] });
        expect(Array.from(byName.label!.data as BigInt64Array)).toEqual([0n]);
        const v2 = await fetch(`${url}/v2/models/iris-classifier/infer`, {
          method: 'POST',
          body: JSON.stringify({
            inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: [6.7, 3, 5.2, 2.3] }],
          }),
        });
        expect(((await v2.json()) as { outputs: unknown[] }).outputs[1]).toMatchObject({ name: 'label', data: [2] });
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(metrics).toMatch(/^graphpipe_requests_total\{[^}]*protocol="graphpipe"[^}]*status="200"[^}]*\} 1$/m);
        const page = await fetch(`${url}/ui`);
        expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
        expect(
          (
            await fetch(url, {
              method: 'OPTIONS',
              headers: { origin: 'https://example.org', 'access-control-request-method': 'POST' },
            })
          ).headers.get('access-control-allow-origin'),
        ).toBe('*');
      } finally {
        expect(await stop(child, 'SIGINT')).toBe(0);
      }
      expect(output()).toMatch(/"method":"POST","path":"\/".*"status":200/);
    },
    TIMEOUT,
  );

  test(
    'serves a repository: tokens, the admin API, and a watched directory',
    async () => {
      const dir = await tempDir();
      await put(dir, 'counter/1/model.onnx', addingModel(1));
      const [authToken, adminToken] = ['auth-tok-3e8a', 'admin-tok-91c0'];
      const { child, match, output } = await serveOnBun([dir, '--port', '0', '--admin-token', adminToken], {
        GRAPHPIPE_AUTH_TOKEN: authToken,
      });
      const url = match[1]!;
      try {
        expect(output()).toContain('  counter 1: READY\n');
        const counter = new RemoteModel(`${url}/models/counter`, {
          headers: { authorization: `Bearer ${authToken}` },
          retries: 0,
        });
        const answer = async () => (await counter.infer(tensor(new Float32Array([0])))).outputs[0]!.data[0];
        expect(await answer()).toBe(1);
        const anonymous = await fetch(`${url}/models/counter`, { method: 'POST', body: new Uint8Array(8) });
        expect(anonymous.status).toBe(401);
        const admin = (path: string, token: string) =>
          fetch(`${url}/v2/repository${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
        expect((await admin('/index', authToken)).status).toBe(403);
        expect((await admin('/models/counter/unload', adminToken)).status).toBe(200);
        await expect(answer()).rejects.toMatchObject({ status: 404 });
        expect((await admin('/models/counter/load', adminToken)).status).toBe(200);
        expect(await answer()).toBe(1);
        // The watcher: a new version on disk replaces the one served.
        await put(dir, 'counter/2/model.onnx', addingModel(2));
        await expect.poll(answer, { timeout: 20_000 }).toBe(2);
      } finally {
        expect(await stop(child, 'SIGINT')).toBe(0);
      }
      for (const token of [authToken, adminToken]) expect(output()).not.toContain(token);
    },
    TIMEOUT,
  );

  test(
    'after SIGTERM it answers 503 (not ready) for --shutdown-grace, then stops listening and exits 0',
    async () => {
      const { child, match } = await serveOnBun([
        'models/iris-classifier.onnx',
        '--port',
        '0',
        '--quiet',
        '--shutdown-grace',
        '1500',
      ]);
      const url = match[1]!;
      const model = new RemoteModel(url, { retries: 0 });
      await model.infer(row);
      const exited = stop(child, 'SIGTERM');
      await vi.waitFor(async () => expect((await fetch(`${url}/readyz`)).status).toBe(503), {
        timeout: 10_000,
        interval: 20,
      });
      await expect(model.infer(row)).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
      expect(await exited).toBe(0);
      await expect(fetch(`${url}/readyz`)).rejects.toThrow();
    },
    TIMEOUT,
  );

  test(
    '--tls-cert and --tls-key serve HTTPS with Bun.serve',
    async () => {
      const dir = await tempDir();
      const { certFile, tlsArgs } = await certificateFiles(dir);
      const { child, match } = await serveOnBun(['models/iris-classifier.onnx', '--port', '0', '--quiet', ...tlsArgs]);
      try {
        const url = match[1]!;
        expect(url).toMatch(/^https:/);
        const infer = await runCli(['infer', url, '--ca', certFile, '-i', '[[5.1, 3.5, 1.4, 0.2]]', '-o', 'label']);
        expect(infer.stdout).toBe('label: int64[1] 0\n');
      } finally {
        expect(await stop(child, 'SIGINT')).toBe(0);
      }
    },
    TIMEOUT,
  );

  test(
    '--workers is refused with one line: a cluster is run by Node',
    async () => {
      const { code, stderr } = await runToEnd(bun.binary!, [
        cliBin,
        'serve',
        'models/iris-classifier.onnx',
        '--workers',
        '2',
      ]);
      expect([code, stderr]).toEqual([
        1,
        'graphpipe: --workers runs a cluster of Node processes; under Bun graphpipe serves with one process: drop --workers, or run it with node\n',
      ]);
    },
    TIMEOUT,
  );
});
