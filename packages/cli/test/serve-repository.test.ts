import { type AddressInfo, createServer } from 'node:net';
import { encodeInferRequest, RemoteModel, tensor } from '@graphpipe/client';
import { describe, expect, test } from 'vitest';
import { cliBin, runCli, startUntil, stop } from './helpers.js';
import { addingModel, certificateFiles, put, useTempDirs } from './repository-helpers.js';

const tempDir = useTempDirs();
const features = '[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]';

describe('graphpipe serve <directory>', () => {
  test('serves the models, says which failed and why, and never logs a token', async () => {
    const dir = await tempDir();
    await put(dir, 'iris.onnx', { bundled: 'iris-classifier.onnx' });
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    await put(dir, 'broken.onnx', 'not a model');
    const authToken = 'auth-tok-5c9e1d';
    const adminToken = 'admin-tok-82b4aa';
    const wrongToken = 'wrong-tok-0d3f77';
    const { child, match, output } = await startUntil(
      process.execPath,
      [cliBin, 'serve', dir, '--port', '0', '--no-watch', '--admin-token', adminToken],
      /serving 2 model\(s\) from .* on (http:\/\/\S+) \(1 not ready\)\n(?:.*\n){3}/,
      { GRAPHPIPE_AUTH_TOKEN: authToken },
    );
    const url = match[1]!;
    try {
      expect(output()).toContain('  broken 1: UNAVAILABLE (cannot load ONNX model');
      expect(output()).toContain('  counter 1: READY\n  iris-classifier 1: READY\n');
      expect(output()).toMatch(
        /"model":"broken","version":"1","reason":"cannot load ONNX model.*"msg":"model failed to load"/,
      );

      // Several models, no default: info lists them.
      const info = await runCli(['info', url, '--token', authToken]);
      expect(info.stdout).toContain(`${url} serves 3 model(s) and none by default; name one: ${url}/models/<name>`);
      expect(info.stdout).toMatch(/ {2}broken: 1 UNAVAILABLE \(cannot load ONNX model/);
      const infer = await runCli(['infer', `${url}/models/iris-classifier`, '-i', features, '-o', 'label'], {
        ...process.env,
        GRAPHPIPE_AUTH_TOKEN: authToken,
      });
      expect(infer.stdout).toBe('label: int64[2] 0, 2\n');
      const refused = await runCli(['infer', `${url}/models/counter`, '-i', '[0]', '--token', wrongToken]);
      expect(refused.stderr).toMatch(/answered 403: wrong token for this model/);
      const load = await fetch(`${url}/v2/repository/models/counter/load`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}` },
      });
      expect(load.status).toBe(200);
      const wrongAdmin = await fetch(`${url}/v2/repository/index`, {
        method: 'POST',
        headers: { authorization: `Bearer ${wrongToken}` },
      });
      expect(wrongAdmin.status).toBe(403);
    } finally {
      await stop(child, 'SIGINT');
    }
    expect(output()).toMatch(/"path":"\/v2\/repository\/index".*"status":403/);
    for (const token of [authToken, adminToken, wrongToken]) expect(output()).not.toContain(token);
  });

  test('--default names the model the root serves; a watched directory picks up a new model', async () => {
    const dir = await tempDir();
    await put(dir, 'iris.onnx', { bundled: 'iris-classifier.onnx' });
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', dir, '--port', '0', '--default', 'iris-classifier', '--quiet'],
      /serving 2 model\(s\) from .* on (http:\/\/\S+)/,
    );
    try {
      const url = match[1]!;
      const infer = await runCli(['infer', url, '-i', features, '-o', 'label']);
      expect(infer.stdout).toBe('label: int64[2] 0, 2\n');
      await put(dir, 'counter/2/model.onnx', addingModel(2));
      const counter = new RemoteModel(`${url}/models/counter`);
      const answer = async () => (await counter.infer(tensor(new Float32Array([0])))).outputs[0]!.data[0];
      await expect.poll(answer, { timeout: 10_000 }).toBe(2);
    } finally {
      await stop(child, 'SIGINT');
    }
  });

  test('--warmup and --request-timeout apply to every model: a run past the timeout is answered 504 then, and counted', async () => {
    const dir = await tempDir();
    await put(dir, 'iris.onnx', { bundled: 'iris-classifier.onnx' });
    await put(dir, 'busy-loop.onnx', { bundled: 'busy-loop.onnx' });
    // In a worker thread, so the run can be abandoned and the server's own thread stays free.
    await put(dir, 'busy-loop.config.yaml', 'options: { workers: 1, intraOpNumThreads: 1 }\n');
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', dir, '--port', '0', '--no-watch', '--quiet', '--warmup', '2', '--request-timeout', '300'],
      /serving 2 model\(s\) from .* on (http:\/\/\S+)\n/,
    );
    const url = match[1]!;
    try {
      const long = encodeInferRequest({ inputs: [tensor(BigInt64Array.of(1_000_000n), [], 'int64')] });
      const answer = await fetch(`${url}/models/busy-loop`, { method: 'POST', body: long });
      expect(answer.status).toBe(504);
      expect(await answer.text()).toMatch(/^Request timeout expired: model "busy-loop"/);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^graphpipe_request_timeouts_total\{model="busy-loop",version="1"\} 1$/m);
      expect(metrics).toMatch(/^graphpipe_model_state\{model="iris-classifier",version="1",state="READY"\} 1$/m);
      const iris = await new RemoteModel(`${url}/models/iris-classifier`).infer(
        tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]),
      );
      expect(iris.outputs).toHaveLength(2);
    } finally {
      await stop(child, 'SIGINT');
    }
    const refused = await runCli(['serve', dir, '--port', '0', '--request-timeout', '0']);
    expect(refused.stderr).toMatch(/--request-timeout/);
    expect(refused.code).not.toBe(0);
  }, 60_000);

  test('--name is for one model: with a directory it is refused', async () => {
    const dir = await tempDir();
    await put(dir, 'counter/1/model.onnx', addingModel(1));
    const { code, stderr } = await runCli(['serve', dir, '--port', '0', '--name', 'x']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      'graphpipe: --name names a single model; in a repository, name a model in its config (name: …)\n',
    );
  });
});

describe('HTTPS', () => {
  test('--tls-cert and --tls-key serve HTTPS; info and infer trust it with --ca', async () => {
    const dir = await tempDir();
    const { certFile, tlsArgs } = await certificateFiles(dir);
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--quiet', ...tlsArgs],
      /serving iris-classifier on (https:\/\/\S+)/,
    );
    try {
      const url = match[1]!;
      const info = await runCli(['info', url, '--ca', certFile]);
      expect(info.stdout).toContain('iris-classifier 1.0.0');
      const infer = await runCli(['infer', url, '--ca', certFile, '-i', features, '-o', 'label']);
      expect(infer.stdout).toBe('label: int64[2] 0, 2\n');
      const untrusted = await runCli(['info', url]);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/^graphpipe: cannot reach https:.*: the server's certificate is not trusted/);
    } finally {
      await stop(child, 'SIGINT');
    }
  });

  test('a certificate without its key is refused with one line', async () => {
    const { code, stderr } = await runCli(['serve', 'models/iris-classifier.onnx', '--tls-cert', 'cert.pem']);
    expect([code, stderr]).toEqual([1, 'graphpipe: HTTPS needs both --tls-cert and --tls-key\n']);
  });
});

test('serve <directory> on a port already taken exits with an error instead of hanging on its watcher', async () => {
  const dir = await tempDir();
  await put(dir, 'counter/1/model.onnx', addingModel(1));
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const { port } = taken.address() as AddressInfo;
  try {
    const { code, stderr } = await runCli(['serve', dir, '--port', String(port)]);
    expect(code).toBe(1);
    expect(stderr).toContain('EADDRINUSE');
  } finally {
    taken.close();
  }
}, 30_000);
