import { RemoteModel, tensor } from '@graphpipe/client';
import { createFunctionBackend, createGraphPipeApp } from '@graphpipe/server-core';
import { describe, expect, test } from 'vitest';
import { acceptsHtml } from '../src/protocols/playground-routes.js';
import { useServers } from './helpers.js';

const start = useServers();
const double = createFunctionBackend(
  ({ x }) =>
    tensor(
      (x!.data as Float32Array).map((v) => v * 2),
      x!.shape,
    ),
  {
    name: 'double',
    inputs: [{ name: 'x', dtype: 'float32', shape: [-1] }],
  },
);
/** What Chromium and Firefox send when they open an address. */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });
const isPage = async (answer: Response) =>
  answer.status === 200 &&
  answer.headers.get('content-type') === 'text/html; charset=utf-8' &&
  (await answer.text()).includes('<title>GraphPipe playground</title>');

describe('the playground page', () => {
  test('a browser opening / gets the page; /ui gets it whatever it accepts', async () => {
    const { url } = await start(double);
    const page = await get(url, { accept: BROWSER });
    // Accept-Encoding too: fetch asks for gzip, and the page comes compressed.
    expect(page.headers.get('vary')).toBe('accept, Accept-Encoding');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'sha256-[\w+/=]+'; .*connect-src 'self'/);
    expect(await isPage(page)).toBe(true);
    expect(await isPage(await get(`${url}/ui`))).toBe(true);
  });

  test.each([
    ['no Accept header', {}],
    ['*/*, as curl sends', { accept: '*/*' }],
    ['application/json', { accept: 'application/json' }],
    ['text/html refused with q=0', { accept: 'text/html;q=0, application/json' }],
  ])('every other client keeps getting the metadata JSON at / (%s), and POST answers as before', async (_, headers) => {
    const { url } = await start(double);
    const answer = await get(url, headers);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(((await answer.json()) as { Name: string }).Name).toBe('double');
    const { outputs } = await new RemoteModel(url).infer(tensor(new Float32Array([1, 2])));
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([2, 4]);
  });

  test('ui: false turns it off: /ui is 404 and browsers get the metadata JSON', async () => {
    const { url } = await start(double, { ui: false });
    expect((await get(`${url}/ui`)).status).toBe(404);
    const root = await get(url, { accept: BROWSER });
    expect(((await root.json()) as { Name: string }).Name).toBe('double');
  });

  test('with a token configured, the page opens without one and the models it calls ask for it', async () => {
    const { url } = await start(double, { authToken: 's3cret' });
    expect(await isPage(await get(`${url}/ui`))).toBe(true);
    expect(await isPage(await get(url, { accept: BROWSER }))).toBe(true);
    expect((await get(`${url}/models`)).status).toBe(401);
    expect((await get(`${url}/models`, { authorization: 'Bearer s3cret' })).status).toBe(200);
    expect((await get(url)).status).toBe(401);
  });

  test('the web app serves it too', async () => {
    const app = createGraphPipeApp(double, { logger: false });
    expect(await isPage(await app.request('/', { headers: { accept: BROWSER } }))).toBe(true);
    expect((await app.request('/', { headers: { accept: '*/*' } })).headers.get('content-type')).toBe(
      'application/json',
    );
    expect((await createGraphPipeApp(double, { logger: false, ui: false }).request('/ui')).status).toBe(404);
  });

  test('what counts as asking for HTML', () => {
    const header = (accept: string | undefined) => ({ method: 'GET', path: '/', header: () => accept });
    expect(acceptsHtml(header(BROWSER))).toBe(true);
    expect(acceptsHtml(header('TEXT/HTML'))).toBe(true);
    expect(acceptsHtml(header('text/html; q=0.5'))).toBe(true);
    expect(acceptsHtml(header('text/html;q=0'))).toBe(false);
    expect(acceptsHtml(header('*/*'))).toBe(false);
    expect(acceptsHtml(header('text/*'))).toBe(false);
    expect(acceptsHtml(header(undefined))).toBe(false);
  });
});
