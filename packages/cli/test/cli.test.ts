import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteModel } from '@graphpipe/client';
import { parseNpy, tensor, toNpy } from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';
import { serve, type ServerHandle } from '@graphpipe/server-core/node';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { encodeModel, floatInit, node, valueInfo } from '@graphpipe/test-utils/onnx';
import { cliBin, hasScript, repoRoot, runCli, runCliOnTerminal, startUntil, stop } from './helpers.js';
import { rejection, modelPath } from '@graphpipe/test-utils';

/** y = x + 1, declaring no name of its own unless given one. */
const addingSpec = {
  name: 'add',
  doc: 'x + 1',
  inputs: [valueInfo('x', 'float32', ['n'])],
  outputs: [valueInfo('y', 'float32', ['n'])],
  nodes: [node('Add', ['x', 'k'], ['y'])],
  initializers: [floatInit('k', [1], new Float32Array([1]))],
};

/** The environment of a colour terminal, whatever the test runs under (CI, NO_COLOR, no TERM). */
function terminalEnv(): NodeJS.ProcessEnv {
  const { NO_COLOR, FORCE_COLOR, NODE_DISABLE_COLORS, CI, ...env } = process.env;
  return { ...env, TERM: 'xterm-256color' };
}

let server: ServerHandle;
beforeAll(async () => {
  const backend = createFunctionBackend(
    ({ a, b }) => ({
      sum: tensor(
        (a!.data as Float32Array).map((x, i) => x + (b!.data as Float32Array)[i]!),
        a!.shape,
      ),
    }),
    {
      name: 'adder',
      version: '2.0',
      inputs: [
        { name: 'a', dtype: 'float32', shape: [-1] },
        { name: 'b', dtype: 'float32', shape: [-1] },
      ],
      outputs: [{ name: 'sum', dtype: 'float32', shape: [-1], description: 'a + b' }],
    },
  );
  server = await serve(backend, { port: 0, logger: false });
});
afterAll(() => server.close());

test('--version and -v print the package version', async () => {
  const { version } = JSON.parse(await readFile(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as {
    version: string;
  };
  for (const flag of ['--version', '-v']) {
    expect(await runCli([flag])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  }
});

describe('graphpipe info', () => {
  test('prints the metadata as a table', async () => {
    const { code, stdout } = await runCli(['info', server.url]);
    expect(code).toBe(0);
    expect(stdout).toContain('adder 2.0');
    expect(stdout).toMatch(/input.*a.*float32.*\[-1\]/);
    expect(stdout).toMatch(/output.*sum.*float32.*\[-1\].*a \+ b/);
  });

  test('prints no colour codes when its output is not a terminal', async () => {
    const { code, stdout } = await runCli(['info', server.url], terminalEnv());
    expect(code).toBe(0);
    expect(stdout).toMatch(/output.*sum/);
    expect(stdout).not.toContain('\x1b');
  });

  test.skipIf(!hasScript)('colours the table on a terminal, unless NO_COLOR is set', async () => {
    const coloured = await runCliOnTerminal(['info', server.url], terminalEnv());
    expect(coloured).toMatch(/output.*sum/);
    expect(coloured).toContain('\x1b[');
    const plain = await runCliOnTerminal(['info', server.url], { ...terminalEnv(), NO_COLOR: '1' });
    expect(plain).toMatch(/output.*sum/);
    expect(plain).not.toContain('\x1b');
  });

  test('fails with one clear line when nothing listens', async () => {
    const { code, stderr } = await runCli(['info', 'http://127.0.0.1:1', '--timeout', '2000']);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^graphpipe: cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});

describe('graphpipe infer', () => {
  test('takes named inline JSON and .npy inputs and prints the outputs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'graphpipe-cli-'));
    await writeFile(join(dir, 'b.npy'), toNpy(tensor(new Float32Array([10, 20, 30]))));
    const { code, stdout } = await runCli([
      'infer',
      server.url,
      '-i',
      'a=[1,2,3]',
      '-i',
      `b=${join(dir, 'b.npy')}`,
      '--save',
      dir,
    ]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('sum: float32[3] 11, 22, 33');
    const saved = parseNpy(new Uint8Array(await readFile(join(dir, 'sum.npy'))));
    expect(Array.from(saved.data as Float32Array)).toEqual([11, 22, 33]);
  });

  test('--json prints exact values; a bad input is one line naming the problem', async () => {
    const ok = await runCli(['infer', server.url, '-i', 'a=[1]', '-i', 'b=[2]', '--json']);
    expect(JSON.parse(ok.stdout)).toEqual({ sum: { dtype: 'float32', shape: [1], data: [3] } });
    const bad = await runCli(['infer', server.url, '-i', 'a={"dtype":"int32","data":[1]}', '-i', 'b=[2]']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400: input "a" must be float32, got int32/);
  });

  test('String outputs are shown and saved as their bytes: not UTF-8 in hex, never U+FFFD', async () => {
    const bytes = createFunctionBackend(
      () => tensor([Uint8Array.of(0xff, 0xfe), new TextEncoder().encode('a\0b'), Uint8Array.of(0, 0x61)]),
      { name: 'bytes' },
    );
    const bytesServer = await serve(bytes, { port: 0, logger: false });
    try {
      const dir = await mkdtemp(join(tmpdir(), 'graphpipe-cli-'));
      const shown = await runCli(['infer', bytesServer.url, '-i', '["q"]', '--save', dir]);
      expect(shown.stdout.trim()).toBe('output0: string[3] 0xfffe, "a\\u0000b", "\\u0000a"');
      const saved = parseNpy(new Uint8Array(await readFile(join(dir, 'output0.npy'))));
      expect((saved.data as Uint8Array[]).map((b) => [...b])).toEqual([
        [0xff, 0xfe],
        [0x61, 0, 0x62],
        [0, 0x61],
      ]);
      const json = await runCli(['infer', bytesServer.url, '-i', '["q"]', '--json']);
      expect(json.code).toBe(1);
      expect(json.stderr).toMatch(/element 0 is not valid UTF-8 text; JSON holds only text, so save it as \.npy/);
    } finally {
      await bytesServer.close();
    }
  });
});

describe('--token', () => {
  test('infer and info send the token a server asks for, given as an option or in GRAPHPIPE_AUTH_TOKEN', async () => {
    const guarded = await serve(server.core.models.find().backend, { port: 0, logger: false, authToken: 's3cret' });
    try {
      const args = ['infer', guarded.url, '-i', 'a=[1]', '-i', 'b=[2]'];
      const refused = await runCli(args);
      expect([refused.code, refused.stderr]).toEqual([
        1,
        expect.stringMatching(/401: this model needs an Authorization/),
      ]);
      expect((await runCli([...args, '--token', 's3cret'])).stdout.trim()).toBe('sum: float32[1] 3');
      const fromEnv = await runCli(['info', guarded.url, '--json'], { ...process.env, GRAPHPIPE_AUTH_TOKEN: 's3cret' });
      expect(JSON.parse(fromEnv.stdout).name).toBe('adder');
    } finally {
      await guarded.close();
    }
  });
});

describe('a model over the Open Inference Protocol (a v2 URL)', () => {
  test('info prints its metadata', async () => {
    const { code, stdout } = await runCli(['info', `${server.url}/v2/models/adder`]);
    expect(code).toBe(0);
    expect(stdout).toContain('adder 2.0  (server: graphpipe-ts 0.1.0)');
    expect(stdout).toMatch(/input.*a.*float32.*\[-1\]/);
    expect(stdout).toMatch(/output.*sum.*float32.*\[-1\]/);
  });

  test('infer runs it, names the outputs, and reports errors in one line', async () => {
    const ok = await runCli(['infer', `${server.url}/v2/models/adder/versions/2.0`, '-i', 'a=[1,2]', '-i', 'b=[3,4]']);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe('sum: float32[2] 4, 6');
    const bad = await runCli(['infer', `${server.url}/v2/models/adder`, '-i', 'a=[1]']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      `graphpipe: ${server.url}/v2/models/adder/infer answered 400: missing input "b"; the model needs "a", "b"`,
    );
  });
});

describe('graphpipe serve', () => {
  test('answers browsers with the playground page, unless --no-ui', async () => {
    const args = [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--quiet'];
    const ready = /serving (\S+) on (http:\/\/\S+)/;
    const [withPage, without] = await Promise.all([
      startUntil(process.execPath, args, ready),
      startUntil(process.execPath, [...args, '--no-ui'], ready),
    ]);
    try {
      const html = { accept: 'text/html' };
      const page = await fetch(withPage.match[2]!, { headers: html });
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect((await fetch(`${without.match[2]}/ui`)).status).toBe(404);
      const root = await fetch(without.match[2]!, { headers: html });
      expect(((await root.json()) as { Name: string }).Name).toBe('iris-classifier');
    } finally {
      await Promise.all([stop(withPage.child, 'SIGINT'), stop(without.child, 'SIGINT')]);
    }
  }, 60_000);

  test('serves an .onnx file and exits 0 on SIGTERM after draining', async () => {
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/two-in-two-out.onnx', '--port', '0', '--quiet'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    expect(match[1]).toBe('two-in-two-out');
    const { byName } = await new RemoteModel(match[2]!).infer(
      { a: tensor(new Float32Array([1, 2, 3]), [1, 3]), b: tensor(new Float32Array([4, 5, 6]), [1, 3]) },
      { outputNames: ['product'] },
    );
    expect(Array.from(byName.product!.data as Float32Array)).toEqual([4, 10, 18]);
    expect(await stop(child, 'SIGTERM')).toBe(0);
  }, 60_000);

  test('after SIGTERM it answers 503 (not ready) for --shutdown-grace, then stops listening and exits 0', async () => {
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--quiet', '--shutdown-grace', '1500'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    const url = match[2]!;
    const model = new RemoteModel(url, { retries: 0 });
    const row = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]);
    await model.infer(row);
    const exited = stop(child, 'SIGTERM');
    await vi.waitFor(async () => expect((await fetch(`${url}/readyz`)).status).toBe(503), { interval: 20 });
    const refused = await rejection(model.infer(row));
    expect(refused).toMatchObject({ code: 'UNAVAILABLE', status: 503, retryAfter: 1 });
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/readyz`)).rejects.toThrow();
  }, 60_000);

  test('--max-batch-size batches concurrent requests and --cache-mb answers repeated rows from the cache', async () => {
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--quiet', '--max-batch-size', '8'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    const cached = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--quiet', '--cache-mb', '1'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    try {
      const rows = [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3];
      const batched = new RemoteModel(match[2]!);
      const labels = await Promise.all(
        [0, 1, 0, 1].map(async (r) => {
          const x = tensor(new Float32Array(rows.slice(r * 4, r * 4 + 4)), [1, 4]);
          return Array.from((await batched.infer(x, { outputNames: ['label'] })).outputs[0]!.data as BigInt64Array);
        }),
      );
      expect(labels).toEqual([[0n], [2n], [0n], [2n]]);
      expect(await (await fetch(`${match[2]}/metrics`)).text()).toMatch(
        /graphpipe_batch_requests_count\{[^}]*\} [1-4]\b/,
      );

      const model = new RemoteModel(cached.match[2]!);
      const x = tensor(new Float32Array(rows), [2, 4]);
      for (let i = 0; i < 3; i++) await model.infer(x);
      const metrics = await (await fetch(`${cached.match[2]}/metrics`)).text();
      expect(metrics).toMatch(/graphpipe_cache_rows_total\{[^}]*result="hit"\} 4/);
      expect(metrics).toMatch(/graphpipe_cache_rows_total\{[^}]*result="miss"\} 2/);
    } finally {
      await Promise.all([stop(child, 'SIGINT'), stop(cached.child, 'SIGINT')]);
    }
  }, 60_000);

  test('--device cuda fails at startup, saying what to install, where CUDA is missing', async () => {
    const { code, stderr } = await runCli(['serve', 'models/iris-classifier.onnx', '--port', '0', '--device', 'cuda']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/graphpipe: cannot load ONNX model .*device 'cuda' needs onnxruntime-node's CUDA provider/);
    const wrong = await runCli(['serve', 'models/iris-classifier.onnx', '--device', 'tpu']);
    expect(wrong.stderr).toContain("argument 'tpu' is invalid. Allowed choices are cpu, cuda.");
  }, 60_000);

  test('serves a TF.js model directory with the TF backend', async () => {
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/tf-iris', '--port', '0', '--quiet'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    try {
      const meta = await new RemoteModel(match[2]!).metadata();
      expect(meta.inputs[0]).toMatchObject({ name: 'features', dtype: 'float32', shape: [-1, 4] });
      expect(meta.description).toMatch(/tfjs (wasm|cpu|native)/);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 60_000);

  test('serves a composition file: the ONNX and TF.js Iris models as one ensemble', async () => {
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'packages/compose/test/fixtures/iris-local.yaml', '--port', '0', '--quiet'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    try {
      const { byName } = await new RemoteModel(match[2]!).infer(
        tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]),
        { outputNames: ['probabilities'] },
      );
      const p = Array.from(byName.probabilities!.data as Float32Array);
      expect(p.indexOf(Math.max(...p))).toBe(0);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 60_000);

  test('a bad number or a ragged JSON tensor is one line, not a stack trace', async () => {
    const port = await runCli(['serve', 'models/iris-classifier.onnx', '--port', 'abc']);
    expect(port.code).toBe(1);
    // The error line, then the command's usage (commander's showHelpAfterError); no stack.
    expect(port.stderr.split('\n')[0]).toMatch(/--port.*'abc' is invalid\. expected a whole number/);
    expect(port.stderr).not.toMatch(/\n\s+at /);
    const ragged = await runCli(['infer', server.url, '-i', 'a=[[1,2],[3]]', '-i', 'b=[1,2]']);
    expect(ragged.code).toBe(1);
    expect(ragged.stderr.trim()).toBe(
      'graphpipe: input JSON: nested arrays are not rectangular: expected shape [2, 2]',
    );
  });

  test('--name and --default refuse a name the server could not serve, saying the rule', async () => {
    for (const option of ['--name', '--default']) {
      const { code, stderr } = await runCli(['serve', 'models/iris-classifier.onnx', option, 'my model']);
      expect(code).toBe(1);
      expect(stderr.split('\n')[0]).toBe(
        `error: option '${option} <name>' argument 'my model' is invalid. not a model name: use letters, digits, "_", "-" and "." (not only dots)`,
      );
    }
  });

  test('a model file named with spaces is served with "_" for them; one declaring such a name needs --name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'graphpipe-spaces-'));
    await writeFile(join(dir, 'my adding model.onnx'), encodeModel(addingSpec));
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', join(dir, 'my adding model.onnx'), '--port', '0', '--quiet'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    try {
      expect(match[1]).toBe('my_adding_model');
      expect((await fetch(`${match[2]}/v2/models/my_adding_model/ready`)).status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }

    const declaring = join(dir, 'declaring.onnx');
    await writeFile(declaring, encodeModel({ ...addingSpec, metadata: { name: 'my model' } }));
    const refused = await runCli(['serve', declaring, '--port', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `graphpipe: invalid model name "my model": use letters, digits, "_", "-" and "." (not only dots); serve it under another name (the CLI's --name, or the backend's name option)`,
    );
    const renamed = await startUntil(
      process.execPath,
      [cliBin, 'serve', declaring, '--port', '0', '--quiet', '--name', 'mine'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    expect(renamed.match[1]).toBe('mine');
    expect(await stop(renamed.child)).toBe(0);
  }, 60_000);

  test('--name renames a composition too', async () => {
    const { child, match } = await startUntil(
      process.execPath,
      [
        cliBin,
        'serve',
        'packages/compose/test/fixtures/iris-local.yaml',
        '--port',
        '0',
        '--quiet',
        '--name',
        'my-ensemble',
      ],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    try {
      expect(match[1]).toBe('my-ensemble');
      expect((await new RemoteModel(match[2]!).metadata()).name).toBe('my-ensemble');
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 60_000);

  test('serves a directory holding one .onnx file, as KServe mounts a model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'graphpipe-mnt-'));
    await copyFile(modelPath('iris-classifier.onnx'), join(dir, 'model.onnx'));
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', dir, '--port', '0', '--quiet', '--name', 'iris'],
      /serving (\S+) on (http:\/\/\S+)/,
    );
    try {
      expect(match[1]).toBe('iris');
      expect((await fetch(`${match[2]}/v2/models/iris/ready`)).status).toBe(200);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  }, 60_000);

  test('refuses a path it cannot serve, saying what it expected', async () => {
    const { code, stderr } = await runCli(['serve', 'README.md']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /expected an \.onnx\/\.ort file \(or a directory holding just one\), a directory with model\.json \(TF\.js\) or saved_model\.pb \(SavedModel\), or a composition/,
    );
  });
});
