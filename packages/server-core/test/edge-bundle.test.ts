/**
 * server-core's app must run where only web-standard APIs exist (Deno, Bun, Cloudflare Workers
 * and other edge runtimes). This bundles an app with a function backend for the browser
 * platform and serves requests through `app.fetch` in a context with web globals alone.
 */
import { fileURLToPath } from 'node:url';
import { runInContext } from 'node:vm';
import { webRealm } from '@graphpipe/test-utils';
import { build } from 'esbuild';
import { expect, test } from 'vitest';

const src = (pkg: string, file = 'index.ts') => fileURLToPath(new URL(`../../${pkg}/src/${file}`, import.meta.url));

const ENTRY = `
import { createFunctionBackend, createGraphPipeApp } from '@graphpipe/server-core';
import { decodeInferResponse, encodeInferRequest, tensor } from '@graphpipe/protocol';
const doubled = createFunctionBackend(({ x }) => tensor(x.data.map((v) => v * 2), x.shape), {
  name: 'double', inputs: [{ name: 'x', dtype: 'float32', shape: [-1] }],
});
export const app = createGraphPipeApp(doubled, { logger: false });
export { decodeInferResponse, encodeInferRequest, tensor };
`;

test('the app bundles for the web and answers through fetch with web APIs alone, the playground page too', async () => {
  const result = await build({
    stdin: { contents: ENTRY, resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'Edge',
    write: false,
    logLevel: 'silent',
    alias: {
      '@graphpipe/server-core': src('server-core'),
      '@graphpipe/protocol/v2': src('protocol', 'v2/index.ts'),
      '@graphpipe/protocol': src('protocol'),
    },
  });
  // esbuild fails a browser build that imports a Node built-in, so getting here already says a lot.
  const code = result.outputFiles[0]!.text;

  const context = webRealm();
  runInContext(code, context);
  const answer = await runInContext(
    `(async () => {
      const { app, encodeInferRequest, decodeInferResponse, tensor } = Edge;
      const body = encodeInferRequest({ inputs: [tensor(new Float32Array([1, 2, 3]), [3])] });
      const ok = await app.fetch(new Request('http://edge/', { method: 'POST', body }));
      const bad = await app.fetch(new Request('http://edge/', { method: 'POST', body: new Uint8Array([1, 2, 3]) }));
      const meta = await app.fetch(new Request('http://edge/'));
      const page = await app.fetch(new Request('http://edge/', { headers: { accept: 'text/html' } }));
      return {
        status: ok.status,
        values: Array.from(decodeInferResponse(new Uint8Array(await ok.arrayBuffer())).outputs[0].data),
        cors: ok.headers.get('access-control-allow-origin'),
        badStatus: bad.status,
        badText: (await bad.text()).trim(),
        name: (await meta.json()).Name,
        page: [page.status, page.headers.get('content-type'), (await page.text()).includes('<title>GraphPipe playground')],
        hasProcess: typeof process !== 'undefined',
      };
    })()`,
    context,
  );
  expect(answer).toEqual({
    status: 200,
    values: [2, 4, 6],
    cors: '*',
    badStatus: 400,
    badText: expect.stringMatching(/^Request: .*too short for a GraphPipe message$/),
    name: 'double',
    page: [200, 'text/html; charset=utf-8', true],
    hasProcess: false,
  });
});
