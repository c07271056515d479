import {
  decodeInferResponse,
  encodeInferRequest,
  encodeInferResponse,
  isGraphPipeError,
  RemoteModel,
  tensor,
} from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, test } from 'vitest';
import { rawRequest, sleep, useServers, vector } from './helpers.js';

const start = useServers();

const echo = () => createFunctionBackend((inputs) => inputs.input0!);

describe('GET endpoints', () => {
  test("GET / answers the metadata as indented JSON with the Go server's capitalised keys", async () => {
    const backend = createFunctionBackend((inputs) => inputs.image!, {
      name: 'resnet',
      version: '2.1',
      description: 'classifies images',
      inputs: [
        { name: 'image', description: 'RGB pixels', dtype: 'uint8', shape: [-1, 224, 224, 3] },
        { name: 'anything' },
      ],
      outputs: [
        { name: 'probs', description: 'class probabilities', dtype: 'float32', shape: [-1, 1000] },
        { name: 'label', dtype: 'string' },
      ],
    });
    const { url } = await start(backend, { serverName: 'test-server' });
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.text();
    expect(body).toContain('\n  "Name": "resnet"'); // indented
    const json = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['Name', 'Version', 'Server', 'Description', 'Inputs', 'Outputs']);
    expect(json).toStrictEqual({
      Name: 'resnet',
      Version: '2.1',
      Server: 'test-server',
      Description: 'classifies images',
      Inputs: [
        { Name: 'image', Description: 'RGB pixels', Shape: [-1, 224, 224, 3], Type: 1 },
        // Any rank is null, apart from a scalar's [] (as the binary metadata leaves the field out).
        { Name: 'anything', Description: '', Shape: null, Type: 0 },
      ],
      Outputs: [
        { Name: 'probs', Description: 'class probabilities', Shape: [-1, 1000], Type: 10 },
        { Name: 'label', Description: '', Shape: null, Type: 12 },
      ],
    });
    // The binary metadata says the same.
    const meta = await new RemoteModel(url).metadata();
    expect(meta).toMatchObject({
      name: 'resnet',
      version: '2.1',
      server: 'test-server',
      description: 'classifies images',
    });
    expect(meta.inputs.map((io) => [io.name, io.dtype, io.shape])).toEqual([
      ['image', 'uint8', [-1, 224, 224, 3]],
      // Any rank travels as no shape field, so it stays apart from a scalar's [].
      ['anything', undefined, undefined],
    ]);
  });

  test('GET / defaults: empty version and description, server graphpipe-ts', async () => {
    const { url } = await start(echo());
    expect(await (await fetch(url)).json()).toStrictEqual({
      Name: 'function',
      Version: '',
      Server: 'graphpipe-ts',
      Description: '',
      Inputs: [{ Name: 'input0', Description: '', Shape: null, Type: 0 }],
      Outputs: [{ Name: 'output0', Description: '', Shape: null, Type: 0 }],
    });
  });

  test.each(['/control/is_ready', '/control/is_alive', '/healthz', '/readyz', '/livez'])(
    'GET %s answers 200 ok',
    async (path) => {
      const { url } = await start(echo());
      const res = await fetch(url + path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect((await res.text()).trim()).toBe('ok');
    },
  );

  test('an unknown GET path answers 404 naming it', async () => {
    const { url } = await start(echo());
    const res = await fetch(`${url}/no/such/thing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('no route for GET /no/such/thing\n');
  });
});

describe('CORS', () => {
  const preflight = (url: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });

  test('preflight allows any origin to POST', async () => {
    const { url } = await start(echo());
    const res = await preflight(url);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
  });

  test('POST answers, successful or not, carry the CORS header', async () => {
    const { url } = await start(echo());
    const ok = await fetch(url, {
      method: 'POST',
      body: vector('sample_request.bin'),
      headers: { origin: 'https://app.example' },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('*');
    // A browser can read the error message only if the error answer has it too.
    const bad = await fetch(url, {
      method: 'POST',
      body: 'garbage!garbage!',
      headers: { origin: 'https://app.example' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('cors: false disables it', async () => {
    const { url } = await start(echo(), { cors: false });
    const res = await preflight(url);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.status).toBe(404);
    const post = await fetch(url, {
      method: 'POST',
      body: vector('sample_request.bin'),
      headers: { origin: 'https://app.example' },
    });
    expect(post.status).toBe(200);
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('every binary answer carries its own Content-Length (regression: a shared headers object leaked it)', async () => {
    const plain = await start(echo(), { cors: false });
    const withCors = await start(echo());
    // Node's fetch asks for gzip unless told otherwise, and the lengths here are of plain answers.
    const headers = { 'accept-encoding': 'identity' };
    for (const { url } of [plain, withCors, plain]) {
      for (const n of [1, 37, 1000]) {
        const sent = tensor(new Uint8Array(n).fill(n & 0xff));
        const res = await fetch(url, {
          method: 'POST',
          body: encodeInferRequest({ inputs: [sent] }),
          headers,
          signal: AbortSignal.timeout(2000),
        });
        expect(res.status).toBe(200);
        expect(Number(res.headers.get('content-length'))).toBe(encodeInferResponse({ outputs: [sent] }).length);
        const [out] = decodeInferResponse(new Uint8Array(await res.arrayBuffer())).outputs;
        expect(Array.from(out!.data as Uint8Array)).toEqual(Array.from(sent.data as Uint8Array));
      }
      const meta = await fetch(url, {
        method: 'POST',
        body: vector('sample_metadata_request.bin'),
        headers,
        signal: AbortSignal.timeout(2000),
      });
      expect(Number(meta.headers.get('content-length'))).toBe((await meta.arrayBuffer()).byteLength);
    }
  });

  test('cors options restrict the allowed origin', async () => {
    const { url } = await start(echo(), { cors: { origin: 'https://ok.example' } });
    const res = await fetch(url, {
      method: 'POST',
      body: vector('sample_request.bin'),
      headers: { origin: 'https://ok.example' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://ok.example');
  });
});

describe('request bodies', () => {
  const MAX = 1024;

  test('a Content-Length over maxBodyBytes is refused with 413 before the body is sent', async () => {
    let calls = 0;
    const { url } = await start(
      createFunctionBackend((inputs) => {
        calls++;
        return inputs.input0!;
      }),
      { maxBodyBytes: MAX },
    );
    const { req, response } = rawRequest(url, { headers: { 'content-length': String(10_000_000) } });
    req.write(Buffer.alloc(100)); // and never the rest
    const res = await response;
    expect(req.writableEnded).toBe(false); // the answer came while the body was unfinished
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe(`request body exceeds the limit of ${MAX} bytes; raise maxBodyBytes to accept it\n`);
    req.destroy();
    expect(calls).toBe(0);
  });

  test('a chunked body without Content-Length is cut off with 413 once it passes the limit', async () => {
    const { url } = await start(echo(), { maxBodyBytes: MAX });
    const { req, response } = rawRequest(url); // no Content-Length: node sends Transfer-Encoding: chunked
    req.write(Buffer.alloc(600));
    await sleep(20);
    req.write(Buffer.alloc(600)); // 1200 > 1024; the stream stays open
    const res = await response;
    expect(req.writableEnded).toBe(false);
    expect(res.status).toBe(413);
    expect(res.body).toContain(`limit of ${MAX} bytes`);
    req.destroy();
  });

  test('a body at exactly the limit is accepted', async () => {
    const body = encodeInferRequest({ inputs: [tensor(new Uint8Array(900))] });
    const { url } = await start(echo(), { maxBodyBytes: body.length });
    const res = await fetch(url, { method: 'POST', body: body });
    expect(res.status).toBe(200);
    const { url: tight } = await start(echo(), { maxBodyBytes: body.length - 1 });
    expect((await fetch(tight, { method: 'POST', body: body })).status).toBe(413);
  });

  test('the client reports a too-large request as PAYLOAD_TOO_LARGE', async () => {
    const { url } = await start(echo(), { maxBodyBytes: MAX });
    const err = await new RemoteModel(url).infer(tensor(new Float32Array(1000))).catch((e: unknown) => e);
    expect(isGraphPipeError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    // And the server still serves small requests.
    const { outputs } = await new RemoteModel(url).infer(tensor(new Float32Array([7])));
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([7]);
  });

  test('a stalled body (Content-Length) answers 408 after bodyTimeoutMs', async () => {
    const { url } = await start(echo(), { bodyTimeoutMs: 300 });
    const { req, response } = rawRequest(url, { headers: { 'content-length': '500' } });
    const began = performance.now();
    req.write(Buffer.alloc(40));
    const res = await response;
    const waited = performance.now() - began;
    expect(res.status).toBe(408);
    expect(res.body).toBe('request body did not arrive within 300 ms\n');
    expect(waited).toBeGreaterThanOrEqual(280);
    expect(waited).toBeLessThan(2000);
    req.destroy();
  });

  test('a stalled chunked body answers 408 too, and the server keeps serving', async () => {
    const { url } = await start(echo(), { bodyTimeoutMs: 300 });
    const { req, response } = rawRequest(url);
    req.write(Buffer.alloc(10));
    const res = await response;
    expect(res.status).toBe(408);
    req.destroy();
    const { outputs } = await new RemoteModel(url).infer(tensor(new Int8Array([-3])));
    expect(Array.from(outputs[0]!.data as Int8Array)).toEqual([-3]);
  });

  test('a body longer than its Content-Length is not read past it', async () => {
    // Node's parser stops at Content-Length; a short body that then ends is an INVALID_MESSAGE.
    const { url } = await start(echo());
    const full = vector('sample_request.bin');
    const { req, response } = rawRequest(url, { headers: { 'content-length': String(full.length) } });
    req.end(Buffer.from(full));
    expect((await response).status).toBe(200);
  });
});
