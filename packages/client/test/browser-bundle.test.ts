/**
 * The client must run where only web-standard APIs exist (browsers, edge runtimes). This bundles
 * it for the browser, the way an app's bundler would, and runs the bundle in a context that has
 * web globals and nothing of Node's (no process, Buffer or require), against a real server.
 */
import { fileURLToPath } from 'node:url';
import { runInContext } from 'node:vm';
import { webRealm } from '@graphpipe/test-utils';
import { decodeRequest, encodeInferResponse, encodeMetadataResponse } from '@graphpipe/protocol';
import { build } from 'esbuild';
import { expect, test } from 'vitest';
import { reply, replyV2Echo, useRawServers } from './helpers.js';

const start = useRawServers();
const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const protocolEntry = fileURLToPath(new URL('../../protocol/src/index.ts', import.meta.url));
const v2Entry = fileURLToPath(new URL('../../protocol/src/v2/index.ts', import.meta.url));

async function browserBundle(): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    // A classic script exposing the package as a global, as a <script> tag would load it.
    format: 'iife',
    globalName: 'GraphPipe',
    write: false,
    logLevel: 'silent',
    alias: { '@graphpipe/protocol/v2': v2Entry, '@graphpipe/protocol': protocolEntry },
  });
  return result.outputFiles[0]!.text;
}

test('the client bundles for the browser and runs with web APIs alone', async () => {
  const code = await browserBundle();
  expect(code).not.toMatch(/require\(|["']node:/);
  // Unminified; about 17 kB of it is OpenTelemetry's API (context and propagation, no-ops without an SDK).
  expect(code.length).toBeLessThan(135_000);

  const server = await start((req, res) => {
    if (req.url === '/v2/models/echo/infer') return replyV2Echo(req, res);
    const request = decodeRequest(req.body);
    if (request.kind === 'metadata')
      return reply(res, encodeMetadataResponse({ name: 'echo', outputs: [{ name: 'y' }] }));
    reply(res, encodeInferResponse({ outputs: request.inputs }));
  });
  const context = webRealm();
  context.url = server.url;
  runInContext(code, context);
  const result = await runInContext(
    `(async () => {
      const { RemoteModel, tensor } = GraphPipe;
      const model = new RemoteModel(url);
      const meta = await model.metadata();
      const { outputs } = await model.infer(tensor(new Float32Array([1, 2, 3]), [3]));
      const v2 = new RemoteModel(url + '/v2/models/echo');
      const { byName } = await v2.infer({ x: tensor(new Float32Array([4, 5]), [2]) });
      return {
        name: meta.name,
        values: Array.from(outputs[0].data),
        v2: Array.from(byName.x.data),
        hasProcess: typeof process !== 'undefined',
      };
    })()`,
    context,
  );
  expect(result).toEqual({ name: 'echo', values: [1, 2, 3], v2: [4, 5], hasProcess: false });
});
