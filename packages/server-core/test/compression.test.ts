// Compressed requests and answers on a real server, on both of its entries: Node's own streams,
// and web Request/Response (the path Bun, Deno and Workers take; custom CORS options send every
// request through it under Node). Bodies sent with Content-Encoding gzip or deflate are inflated
// within the body limit; answers are compressed when Accept-Encoding asks.
import * as http from 'node:http';
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { decodeInferResponse, encodeInferRequest, RemoteModel, type TensorOf, tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import type { ServeOptions } from '@graphpipe/server-core/node';
import { describe, expect, test } from 'vitest';
import { useServers } from './helpers.js';

const start = useServers();
const utf8 = new TextEncoder();

/** Doubles `x` (float32 [-1, 4]) into `y`. */
const doubler = () =>
  createFunctionBackend(
    ({ x }) =>
      tensor(
        (x as TensorOf<'float32'>).data.map((v) => v * 2),
        x!.shape,
      ),
    {
      name: 'doubler',
      inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 4] }],
    },
  );

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The bytes as they came over the wire, not inflated. */
  bytes: Buffer;
}

/** A request over node:http, which (unlike fetch) hands back an answer's bytes as sent. */
function call(
  url: string,
  path: string,
  { body, headers = {} }: { body?: Uint8Array; headers?: http.OutgoingHttpHeaders } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: body ? 'POST' : 'GET', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

const ROW = [1, 2, 3, 4];
const jsonRequest = utf8.encode(
  JSON.stringify({ inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: ROW }] }),
);

/** A v2 binary request: its JSON part, then the row's 16 bytes; and the JSON part's length. */
function binaryRequest(binaryOutput = false): { body: Uint8Array; jsonLength: number } {
  const json = utf8.encode(
    JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', parameters: { binary_data_size: 16 } }],
      ...(binaryOutput ? { outputs: [{ name: 'y', parameters: { binary_data: true } }] } : {}),
    }),
  );
  const body = new Uint8Array(json.length + 16);
  body.set(json);
  body.set(new Uint8Array(new Float32Array(ROW).buffer), json.length);
  return { body, jsonLength: json.length };
}

const zip = { gzip: gzipSync, deflate: deflateSync } as const;
const unzip = { gzip: gunzipSync, deflate: inflateSync } as const;

/** `chunk` gzipped once and repeated as gzip members: `times` × its size once inflated, cheaply. */
function gzipBomb(chunk: number, times: number): Buffer {
  return Buffer.concat(Array(times).fill(gzipSync(Buffer.alloc(chunk), { level: 9 })));
}

const entries: [string, ServeOptions][] = [
  ['Node streams', {}],
  ['web Request/Response', { cors: { origin: '*' } }],
];

describe.each(entries)('through %s', (_entry, entryOptions) => {
  const serveDoubler = (options: ServeOptions = {}) => start(doubler(), { ...entryOptions, ...options });

  describe.each(['gzip', 'deflate'] as const)('a %s request', (coding) => {
    test('v2 JSON is inflated and answered', async () => {
      const { url } = await serveDoubler();
      const res = await call(url, '/v2/models/doubler/infer', {
        body: zip[coding](jsonRequest),
        headers: { 'content-type': 'application/json', 'content-encoding': coding },
      });
      expect(res.status, res.bytes.toString()).toBe(200);
      const answer = JSON.parse(res.bytes.toString()) as { outputs: { data: number[] }[] };
      expect(answer.outputs[0]!.data).toEqual([2, 4, 6, 8]);
    });

    test('v2 binary: Inference-Header-Content-Length counts the inflated JSON part', async () => {
      const { url } = await serveDoubler();
      const { body, jsonLength } = binaryRequest();
      const res = await call(url, '/v2/models/doubler/infer', {
        body: zip[coding](body),
        headers: { 'inference-header-content-length': String(jsonLength), 'content-encoding': coding },
      });
      expect(res.status, res.bytes.toString()).toBe(200);
      expect((JSON.parse(res.bytes.toString()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([
        2, 4, 6, 8,
      ]);
    });

    test('GraphPipe flatbuffers are inflated and answered', async () => {
      const { url } = await serveDoubler();
      const request = encodeInferRequest({ inputs: [tensor(new Float32Array(ROW), [1, 4])], inputNames: ['x'] });
      const res = await call(url, '/', { body: zip[coding](request), headers: { 'content-encoding': coding } });
      expect(res.status, res.bytes.toString()).toBe(200);
      expect(decodeInferResponse(new Uint8Array(res.bytes)).outputs[0]!.data).toEqual(new Float32Array([2, 4, 6, 8]));
    });
  });

  test('an identity Content-Encoding is no encoding', async () => {
    const { url } = await serveDoubler();
    const res = await call(url, '/v2/models/doubler/infer', {
      body: jsonRequest,
      headers: { 'content-encoding': 'identity' },
    });
    expect(res.status).toBe(200);
  });

  test.each(['br', 'zstd', 'gzip, br'])(
    'Content-Encoding %s is 415 with one line, and the server keeps serving',
    async (coding) => {
      const { url } = await serveDoubler();
      const res = await call(url, '/v2/models/doubler/infer', {
        body: jsonRequest,
        headers: { 'content-encoding': coding },
      });
      expect(res.status).toBe(415);
      const { error } = JSON.parse(res.bytes.toString()) as { error: string };
      expect(error).toMatch(/^Content-Encoding ".*" is not supported; send the body as gzip, deflate or uncompressed$/);
      const graphpipe = await call(url, '/', { body: new Uint8Array(8), headers: { 'content-encoding': coding } });
      expect(graphpipe.status).toBe(415);
      expect(graphpipe.bytes.toString().trim().split('\n')).toHaveLength(1);
      expect((await call(url, '/v2/models/doubler/infer', { body: jsonRequest })).status).toBe(200);
    },
  );

  test.each([
    ['gzip', 'corrupt', Buffer.from('this is not gzip at all')],
    ['gzip', 'cut short', gzipSync(jsonRequest).subarray(0, 20)],
    ['deflate', 'corrupt', Buffer.from('nor is this deflate')],
  ] as const)('a %s body that is %s is 400, and the server keeps serving', async (coding, _how, body) => {
    const { url } = await serveDoubler();
    const res = await call(url, '/v2/models/doubler/infer', { body, headers: { 'content-encoding': coding } });
    expect(res.status).toBe(400);
    expect((JSON.parse(res.bytes.toString()) as { error: string }).error).toMatch(
      new RegExp(`^request body is not valid ${coding} data`),
    );
    expect((await call(url, '/v2/models/doubler/infer', { body: jsonRequest })).status).toBe(200);
  });

  test('a decompression bomb is 413 once it inflates past maxBodyBytes, without memory growing to its size', async () => {
    const maxBodyBytes = 8 * 1024 * 1024;
    const { url } = await serveDoubler({ maxBodyBytes });
    // About 1 MB that inflates to 1 GiB.
    const bomb = gzipBomb(16 * 1024 * 1024, 64);
    expect(bomb.length).toBeLessThan(1.2 * 1024 * 1024);
    global.gc?.();
    const before = process.memoryUsage();
    const res = await call(url, '/v2/models/doubler/infer', { body: bomb, headers: { 'content-encoding': 'gzip' } });
    const after = process.memoryUsage();
    expect(res.status).toBe(413);
    expect(res.bytes.toString()).toMatch(/exceeds the limit of 8388608 bytes/);
    // Generous: the limit and the runtime's buffers, far below the 1 GiB an unbounded inflate holds.
    const bound = 256 * 1024 * 1024;
    expect(after.rss - before.rss).toBeLessThan(bound);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(bound);
    expect(
      (
        await call(url, '/v2/models/doubler/infer', {
          body: gzipSync(jsonRequest),
          headers: { 'content-encoding': 'gzip' },
        })
      ).status,
    ).toBe(200);
  });

  test('the bytes-in-flight budget counts inflated bytes', async () => {
    const { url } = await serveDoubler({ maxBodyBytes: 8 * 1024 * 1024, maxInflightBytes: 1024 * 1024 });
    const res = await call(url, '/v2/models/doubler/infer', {
      body: gzipBomb(2 * 1024 * 1024, 1),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(503);
    expect(res.bytes.toString()).toMatch(/server busy/);
  });

  test.each(['gzip', 'deflate'] as const)('the client with compression: %s, on both protocols', async (coding) => {
    const { url } = await serveDoubler();
    const x = tensor(new Float32Array(ROW), [1, 4]);
    for (const model of [
      new RemoteModel(url, { compression: coding }),
      new RemoteModel(`${url}/v2/models/doubler`, { compression: coding }),
      new RemoteModel(`${url}/v2/models/doubler`, { compression: coding, encoding: 'json' }),
    ]) {
      const { byName } = await model.infer({ x }, { outputNames: ['y'] });
      expect(byName.y!.data).toEqual(new Float32Array([2, 4, 6, 8]));
    }
  });

  describe('answers', () => {
    test.each(['gzip', 'deflate'] as const)('are %s when Accept-Encoding asks, with Vary', async (coding) => {
      const { url } = await serveDoubler();
      const res = await call(url, '/v2/models/doubler/infer', {
        body: jsonRequest,
        headers: { 'accept-encoding': coding },
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe(coding);
      expect(res.headers.vary).toMatch(/accept-encoding/i);
      const answer = JSON.parse(unzip[coding](res.bytes).toString()) as { outputs: { data: number[] }[] };
      expect(answer.outputs[0]!.data).toEqual([2, 4, 6, 8]);
      // GraphPipe's answers and GET answers too.
      const metadata = await call(url, '/v2/models/doubler', { headers: { 'accept-encoding': coding } });
      expect(metadata.headers['content-encoding']).toBe(coding);
      expect(JSON.parse(unzip[coding](metadata.bytes).toString())).toMatchObject({ name: 'doubler' });
      // Binary tensors only for a caller that compressed its request too: HTTP stacks (Go's,
      // Python's requests) ask for gzip on their own, and tensors cost more to compress than they save.
      const request = encodeInferRequest({ inputs: [tensor(new Float32Array(ROW), [1, 4])], inputNames: ['x'] });
      const plainRequest = await call(url, '/', { body: request, headers: { 'accept-encoding': coding } });
      expect(plainRequest.headers['content-encoding']).toBeUndefined();
      // `identity` names no compression: the request was not compressed.
      const identity = await call(url, '/', {
        body: request,
        headers: { 'content-encoding': 'identity', 'accept-encoding': coding },
      });
      expect(identity.headers['content-encoding']).toBeUndefined();
      expect(decodeInferResponse(new Uint8Array(plainRequest.bytes)).outputs[0]!.data).toEqual(
        new Float32Array([2, 4, 6, 8]),
      );
      const graphpipe = await call(url, '/', {
        body: zip[coding](request),
        headers: { 'content-encoding': coding, 'accept-encoding': coding },
      });
      expect(graphpipe.headers['content-encoding']).toBe(coding);
      expect(decodeInferResponse(new Uint8Array(unzip[coding](graphpipe.bytes))).outputs[0]!.data).toEqual(
        new Float32Array([2, 4, 6, 8]),
      );
    });

    test('binary ones keep Inference-Header-Content-Length as the uncompressed JSON part', async () => {
      const { url } = await serveDoubler();
      const { body } = binaryRequest(true);
      const { jsonLength } = binaryRequest(true);
      const res = await call(url, '/v2/models/doubler/infer', {
        body: gzipSync(body),
        headers: {
          'content-encoding': 'gzip',
          'inference-header-content-length': String(jsonLength),
          'accept-encoding': 'gzip',
        },
      });
      expect(res.status, res.bytes.toString()).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      const plain = gunzipSync(res.bytes);
      const headerLength = Number(res.headers['inference-header-content-length']);
      expect(JSON.parse(plain.subarray(0, headerLength).toString())).toMatchObject({ model_name: 'doubler' });
      const y = plain.subarray(headerLength);
      expect(Array.from(new Float32Array(y.buffer.slice(y.byteOffset, y.byteOffset + y.length)))).toEqual([2, 4, 6, 8]);
    });

    test('large ones stream compressed', async () => {
      const echo = createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' });
      const { url } = await start(echo, entryOptions);
      const values = new Float32Array(256 * 1024).map((_, i) => i % 1000);
      const request = encodeInferRequest({ inputs: [tensor(values, [values.length])] });
      const res = await call(url, '/', {
        body: gzipSync(request),
        headers: { 'content-encoding': 'gzip', 'accept-encoding': 'gzip' },
      });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.bytes.length).toBeLessThan(values.byteLength / 2);
      expect(decodeInferResponse(new Uint8Array(gunzipSync(res.bytes))).outputs[0]!.data).toEqual(values);
    });

    test.each([undefined, 'identity', 'br', 'gzip;q=0, deflate;q=0', '*;q=0'])(
      'are not compressed for Accept-Encoding %s',
      async (accept) => {
        const { url } = await serveDoubler();
        const res = await call(url, '/v2/models/doubler/infer', {
          body: jsonRequest,
          headers: accept === undefined ? {} : { 'accept-encoding': accept },
        });
        expect(res.status).toBe(200);
        expect(res.headers['content-encoding']).toBeUndefined();
        expect(JSON.parse(res.bytes.toString())).toMatchObject({ model_name: 'doubler' });
      },
    );
  });
});
