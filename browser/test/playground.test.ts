/**
 * The playground page in Debian's Chromium, against a real server serving the bundled Iris and
 * tiny-conv ONNX models: it loads, runs examples, shows the server's errors beside their input,
 * takes images, asks for a token where one is needed, and works by keyboard and at phone width.
 * Screenshots of each state land in browser/screenshots/ (see report.json there).
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { RemoteModel, parseNpy, type Tensor, tensor, toNpy } from '@graphpipe/client';
import { jsonReply } from '@graphpipe/server-core';
import { serve, type ServerHandle } from '@graphpipe/server-core/node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Chromium, launchChromium } from '../src/chromium.js';
import { collectErrors } from '../src/page-errors.js';
import { report, screenshot } from '../src/screenshots.js';

const models = (name: string) => new URL(`../../models/${name}`, import.meta.url).pathname;
const testSet = JSON.parse(readFileSync(models('iris-test-set.json'), 'utf8')) as {
  classes: string[];
  features: number[][];
  labels: number[];
};

let server: ServerHandle;
const measured: Record<string, unknown> = {};

/**
 * Chromium, started by the first test that needs it: where it cannot start, every test fails with
 * what to install (a failing hook would report them as skipped).
 */
let browser: Promise<Chromium> | undefined;
const chromium = () => {
  browser ??= launchChromium();
  return browser;
};

beforeAll(async () => {
  const backends = await Promise.all(
    [models('iris-classifier.onnx'), models('tiny-conv.onnx')].map((m) => createOnnxBackend(m)),
  );
  server = await serve(backends, { port: 0, logger: false });
}, 120_000);

afterAll(async () => {
  await (await browser?.catch(() => undefined))?.close();
  await server?.close();
  report(measured);
});

/** A new page on the server's address, with its errors collected; checked empty at the end of each test. */
async function open(url = server.url): Promise<{ page: Page; errors: string[] }> {
  const page = await (await chromium()).context.newPage();
  const errors = collectErrors(page);
  await page.goto(url);
  return { page, errors };
}

const run = (page: Page) => page.getByRole('button', { name: 'Run' }).click();
const output = (page: Page, name: string) => page.locator(`article.output[data-output="${name}"]`);

/** The tensor the page offers for download for one output. */
async function downloaded(page: Page, name: string): Promise<Tensor> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: `Download ${name} as .npy` }).click(),
  ]);
  const path = await download.path();
  return parseNpy(new Uint8Array(readFileSync(path)));
}

const execFileAsync = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a shell snippet in bash. */
async function runShell(script: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await execFileAsync('bash', ['-c', script], { env: { ...process.env, ...env } });
  return stdout;
}

/** Runs a `graphpipe …` snippet in bash, with the built CLI as `graphpipe`. */
function runCliSnippet(snippet: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const cli = `${repoRoot}packages/cli/dist/bin.js`;
  return runShell(`graphpipe() { "${process.execPath}" "${cli}" "$@"; }\n${snippet}`, env);
}

/** Runs a TypeScript snippet as a module of this package (which can import @graphpipe/client). */
async function runClientSnippet(snippet: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const dir = mkdtempSync(fileURLToPath(new URL('../.snippet-', import.meta.url)));
  try {
    writeFileSync(join(dir, 'snippet.mts'), snippet);
    const tsx = `${repoRoot}node_modules/.bin/tsx`;
    const { stdout } = await execFileAsync(tsx, [join(dir, 'snippet.mts')], { env: { ...process.env, ...env } });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the playground in Chromium', () => {
  test('opening the server’s address loads the page, lists every model and shows the chosen one’s metadata', async () => {
    const { page, errors } = await open();
    await expect(page.title()).resolves.toBe('GraphPipe playground');
    const model = page.getByLabel('Served model');
    await model.locator('option').first().waitFor({ state: 'attached' });
    expect(await model.locator('option').allTextContents()).toEqual(['iris-classifier', 'tiny-conv']);
    const info = page.locator('#model-info');
    await info.getByText('features').waitFor();
    expect(await info.textContent()).toMatch(
      /version 1\.0\.0[\s\S]*Iris species[\s\S]*features\s*float32 \[-1, 4\][\s\S]*setosa, versicolor, virginica/,
    );
    await screenshot(page, '1-loaded');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('the Iris example fills, runs and shows the expected species', async () => {
    const opened = Date.now();
    const { page, errors } = await open();
    await page.getByRole('button', { name: 'Fill with an example' }).click();
    const features = page.getByLabel('Values for features');
    expect(await features.inputValue()).toBe(JSON.stringify(testSet.features.slice(0, 1)).replaceAll(',', ', '));
    await run(page);
    const expected = testSet.classes[testSet.labels[0]!]!;
    await output(page, 'label').getByText(`0 (${expected})`).waitFor();
    measured.openToAnswerMs = {
      page: Math.round(await page.evaluate(() => performance.getEntriesByName('graphpipe:answer')[0]!.startTime)),
      wallClock: Date.now() - opened,
    };
    const chart = output(page, 'probabilities').locator('.bars li').first();
    expect(await chart.textContent()).toMatch(new RegExp(`^${expected}\\s*\\d+\\.\\d%$`));
    expect(await page.locator('#timing').textContent()).toMatch(/^Answered in \d+\.\d ms/);
    await screenshot(page, '2-iris-answer');

    // The next example is the next held-out row.
    await page.getByRole('button', { name: 'Fill with an example' }).click();
    await run(page);
    const second = testSet.classes[testSet.labels[1]!]!;
    await output(page, 'label').getByText(`${testSet.labels[1]} (${second})`).waitFor();
    const probabilities = await downloaded(page, 'probabilities');
    expect(probabilities.shape).toEqual([1, 3]);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a wrong-length input shows the server’s message beside it; a flat list that cannot fit, the page’s', async () => {
    const { page, errors } = await open();
    const features = page.getByLabel('Values for features');
    await features.fill('[[5.1, 3.5, 1.4]]');
    await run(page);
    const message = page.locator('#input-features-error');
    await message.getByText('input "features" must have shape [-1, 4], got [1, 3]').waitFor();
    expect(await features.getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, '3-wrong-length');

    await features.fill('5.1, 3.5, 1.4');
    await run(page);
    await message.getByText('3 values do not fit [-1, 4]: give a multiple of 4 (4 per row)').waitFor();
    // A flat list that fits is reshaped: two rows.
    await features.fill('5.1 3.5 1.4 0.2\n6.7 3.0 5.2 2.3');
    await run(page);
    await output(page, 'label').getByText('2 (virginica)').waitFor();
    expect(await message.textContent()).toBe('');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('an image file, then a dropped image, runs on tiny-conv laid out as its input', async () => {
    const { page, errors } = await open();
    await page.getByLabel('Served model').selectOption('tiny-conv');
    await page.getByLabel('Image', { exact: true }).waitFor();
    expect(await page.getByRole('button', { name: 'Fill with zeros' }).count()).toBe(1);
    // An orange 48×40 PNG, drawn by the browser: resized to 32×32 it stays one colour.
    const png = Buffer.from(
      await page.evaluate(async () => {
        const canvas = new OffscreenCanvas(48, 40);
        const context = canvas.getContext('2d')!;
        context.fillStyle = 'rgb(255, 128, 0)';
        context.fillRect(0, 0, 48, 40);
        return Array.from(new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer()));
      }),
    );
    await page
      .getByLabel('Image', { exact: true })
      .setInputFiles({ name: 'orange.png', mimeType: 'image/png', buffer: png });
    await page.getByText('from orange.png: float32 [1, 3, 32, 32], 3072 values').waitFor();
    await run(page);
    await output(page, 'scores').locator('.bars li').first().waitFor();
    // Channels first, scaled to 0..1: the same scores as that tensor sent by the client.
    const planes = [1, 128 / 255, 0].flatMap((v) => new Array<number>(32 * 32).fill(v));
    const expected = await new RemoteModel(`${server.url}/models/tiny-conv`).infer(
      tensor(new Float32Array(planes), [1, 3, 32, 32]),
    );
    const scores = await downloaded(page, 'scores');
    expect(scores.shape).toEqual([1, 10]);
    Array.from(scores.data as Float32Array).forEach((p, i) =>
      expect(p).toBeCloseTo((expected.outputs[0]!.data as Float32Array)[i]!, 5),
    );
    await screenshot(page, '4-image');

    const dropped = await page.evaluateHandle((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
      return transfer;
    }, Array.from(png));
    await page.locator('.drop').dispatchEvent('drop', { dataTransfer: dropped });
    await page.getByText('from dropped.png: float32 [1, 3, 32, 32], 3072 values').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  test('a .npy file is an input; the snippets call the model with what is on the page', async () => {
    const { page, errors } = await open();
    const rows = tensor(new Float64Array([6.7, 3.0, 5.2, 2.3]), [1, 4]);
    await page.getByLabel('or a .npy file').setInputFiles({
      name: 'row.npy',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(toNpy(rows)),
    });
    const features = page.getByLabel('Values for features');
    await page.getByText('from row.npy').waitFor();
    expect(await features.inputValue()).toBe('[[6.7, 3, 5.2, 2.3]]');
    await run(page);
    await output(page, 'label').getByText('2 (virginica)').waitFor();
    const snippets = await page.locator('#snippet-list pre').allInnerTexts();
    expect(snippets[0]).toBe(
      `graphpipe infer ${server.url}/models/iris-classifier \\\n  --input 'features=[[6.7, 3, 5.2, 2.3]]'`,
    );
    expect(snippets[1]).toContain(`new RemoteModel('${server.url}/models/iris-classifier')`);
    expect(snippets[1]).toContain('features: tensor(new Float32Array([6.7, 3, 5.2, 2.3]), [1, 4])');
    // Copied and run as they are: the CLI's and the client's answers name the same class.
    expect(await runCliSnippet(snippets[0]!)).toMatch(/^label: int64\[1\] 2$/m);
    expect(await runClientSnippet(snippets[1]!)).toMatch(/label: {.*data: BigInt64Array\(1\) \[ 2n \] }/);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('keyboard alone: every control is labelled and reachable, Ctrl+Enter runs', async () => {
    const { page, errors } = await open();
    await page.getByLabel('Values for features').waitFor();
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => !(el as HTMLElement).closest('[hidden]'))
        .filter(
          (el) => !((el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.textContent?.trim()),
        )
        .map((el) => el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    const reached: string[] = [];
    for (let i = 0; i < 12 && !reached.includes('Run'); i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLInputElement;
          return el.labels?.[0]?.textContent ?? el.textContent ?? el.tagName;
        }),
      );
    }
    expect(reached).toEqual(
      expect.arrayContaining(['Served model', 'Values for features', 'Fill with an example', 'Run']),
    );
    await page.getByRole('button', { name: 'Fill with an example' }).focus();
    await page.keyboard.press('Enter');
    await page.getByLabel('Values for features').focus();
    await page.keyboard.press('Control+Enter');
    await output(page, 'label').getByText('(setosa)').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  test('readable at phone width: nothing wider than the screen', async () => {
    const { page, errors } = await open();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Fill with an example' }).click();
    await run(page);
    await output(page, 'label').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, '5-phone');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('a server with a token', () => {
  let guarded: ServerHandle;
  beforeAll(async () => {
    guarded = await serve(await createOnnxBackend(models('iris-classifier.onnx')), {
      port: 0,
      logger: false,
      authToken: 's3cret',
    });
  });
  afterAll(() => guarded?.close());

  test('the page asks for one, says when it is wrong, and sends it', async () => {
    const { page, errors } = await open(`${guarded.url}/ui`);
    const token = page.getByLabel('Token');
    await token.waitFor();
    expect(await page.locator('#auth-message').textContent()).toMatch(/needs an Authorization: Bearer <token> header/);
    await screenshot(page, '6-token');
    await token.fill('wrong');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('#auth-message').getByText('wrong token for this model').waitFor();
    await token.fill('s3cret');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('button', { name: 'Fill with an example' }).click();
    await run(page);
    await output(page, 'label').getByText('(setosa)').waitFor();
    const cli = (await page.locator('#snippet-list pre').allTextContents())[0]!;
    expect(cli).toContain('--token "$GRAPHPIPE_AUTH_TOKEN"');
    expect(await runCliSnippet(cli, { GRAPHPIPE_AUTH_TOKEN: 's3cret' })).toMatch(/^label: int64\[1\] 0$/m);
    expect(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie])).toEqual([
      0,
      0,
      '',
    ]);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('a server that speaks the Open Inference Protocol v2', () => {
  let v2: ServerHandle;
  beforeAll(async () => {
    v2 = await serve(await createOnnxBackend(models('iris-classifier.onnx')), { port: 0, logger: false });
    // GET /v2 as the protocol's server metadata answers it: the page offers curl only then.
    v2.core.routes.add('GET', '/v2', {
      protocol: 'v2',
      handle: () => jsonReply(JSON.stringify({ name: 'graphpipe-ts', version: '1', extensions: [] })),
    });
  });
  afterAll(() => v2?.close());

  test('the curl snippet posts the inputs on the page as its JSON body', async () => {
    const { page, errors } = await open(v2.url);
    await page.getByRole('button', { name: 'Fill with an example' }).click();
    const curl = page.getByRole('region', { name: 'Call it from code' }).locator('pre').nth(2);
    await curl.getByText('curl').waitFor();
    const snippet = (await curl.textContent())!;
    const inferUrl = `${v2.url}/v2/models/iris-classifier/infer`;
    expect(snippet.split(' \\\n')[0]).toBe(`curl -s ${inferUrl}`);
    // Run as copied, against a server that answers what it received.
    const received = await echoOnce((url) => runShell(snippet.replace(inferUrl, url)));
    expect(received.headers['content-type']).toBe('application/json');
    expect(JSON.parse(received.body)).toEqual({
      inputs: [{ name: 'features', shape: [1, 4], datatype: 'FP32', data: testSet.features[0] }],
    });
    expect(errors).toEqual([]);
    await page.close();
  });
});

/** Starts a loopback server that answers one request with its body, runs `call` against it, and returns what it received. */
async function echoOnce(
  call: (url: string) => Promise<unknown>,
): Promise<{ headers: IncomingHttpHeaders; body: string }> {
  let received: { headers: IncomingHttpHeaders; body: string } | undefined;
  const echo = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    received = { headers: req.headers, body };
    res.end(body);
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  try {
    await call(`http://127.0.0.1:${(echo.address() as AddressInfo).port}/`);
  } finally {
    echo.close();
  }
  if (!received) throw new Error('the snippet sent nothing');
  return received;
}
