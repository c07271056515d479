import {
  decodeRequest,
  encodeInferResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  type GraphPipeError,
  isGraphPipeError,
  RemoteModel,
  utf8Values,
  type Tensor,
  tensor,
} from '@graphpipe/client';
import { describe, expect, test, vi } from 'vitest';
import { currentRuntime, freePort, rejection } from '@graphpipe/test-utils';
import { reply, replyV2Echo, type TestServer, useRawServers } from './helpers.js';

const start = useRawServers();

/** A GraphPipe server in a dozen lines: echoes inputs as outputs, answers metadata. */
const echoServer = () =>
  start((req, res) => {
    const request = decodeRequest(req.body);
    if (request.kind === 'metadata') {
      return reply(
        res,
        encodeMetadataResponse({
          name: 'echo',
          inputs: [{ name: 'a' }, { name: 'b' }],
          outputs: [{ name: 'x' }, { name: 'y' }],
        }),
      );
    }
    reply(res, encodeInferResponse({ outputs: request.inputs }));
  });

/** The inference requests a server got (a call without outputNames also fetches metadata once). */
const inferRequests = (server: TestServer) => server.received.filter((r) => decodeRequest(r.body).kind === 'infer');

async function failure(p: Promise<unknown>): Promise<GraphPipeError> {
  const err = await rejection(p);
  expect(isGraphPipeError(err), String(err)).toBe(true);
  return err as GraphPipeError;
}

test('runs on the runtime the suite asked for (test/runtimes.test.ts runs this file under Bun and Deno)', () => {
  expect(currentRuntime()).toBe(process.env.GRAPHPIPE_RUNTIME ?? 'node');
});

describe('what the client sends', () => {
  test('infer POSTs one Request buffer to the exact URL, with names, config and custom headers', async () => {
    const server = await echoServer();
    const model = new RemoteModel(`${server.url}/models/echo?v=2`, { headers: { authorization: 'Bearer t0k3n' } });
    const a = tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
    const b = tensor(['x', 'yz']);
    const { outputs } = await model.infer([a, b], {
      inputNames: ['a', 'b'],
      outputNames: ['y', 'x'],
      config: '{"k":1}',
    });
    expect(server.received).toHaveLength(1);
    const got = server.received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/models/echo?v=2');
    expect(got.headers['content-type']).toBe('application/octet-stream');
    expect(got.headers.authorization).toBe('Bearer t0k3n');
    expect(Number(got.headers['content-length'])).toBe(got.body.length);
    const request = decodeRequest(got.body);
    expect(request.kind).toBe('infer');
    if (request.kind !== 'infer') return;
    expect(request.inputNames).toEqual(['a', 'b']);
    expect(request.outputNames).toEqual(['y', 'x']);
    expect(request.config).toBe('{"k":1}');
    expect(request.inputs.map((t) => [t.dtype, t.shape])).toEqual([
      ['float32', [2, 2]],
      ['string', [2]],
    ]);
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(utf8Values(outputs[1] as Tensor & { dtype: 'string' }, 'output')).toEqual(['x', 'yz']);
  });

  test("a large tensor streams out with a Content-Length, from the caller's own memory, and comes back whole", async () => {
    const server = await echoServer();
    const data = new Float64Array(300_000).map((_, i) => i * 0.5);
    const input = tensor(data, [600, 500]);
    // Deno's fetch sends a streamed body chunked, dropping its length: there the client joins by default.
    const streamsWithLength = !('Deno' in globalThis);
    for (const streamUploads of [undefined, true, false]) {
      const sent: unknown[] = [];
      const spy: typeof fetch = (url, init) => {
        sent.push(init?.body);
        return fetch(url, init);
      };
      const { outputs } = await new RemoteModel(server.url, { streamUploads, fetch: spy }).infer(input);
      const streamed = streamUploads ?? streamsWithLength;
      expect(sent[0]).toBeInstanceOf(streamed ? ReadableStream : Uint8Array);
      const got = inferRequests(server).at(-1)!;
      if (streamed && !streamsWithLength) {
        expect(got.headers['transfer-encoding']).toBe('chunked');
      } else {
        expect(got.headers['transfer-encoding']).toBeUndefined();
        expect(Number(got.headers['content-length'])).toBe(got.body.length);
      }
      expect(got.body.length).toBeGreaterThan(data.byteLength);
      expect(outputs[0]!.shape).toEqual([600, 500]);
      expect((outputs[0]!.data as Float64Array)[299_999]).toBe(299_999 * 0.5);
    }
    // The caller's tensor is left as it was.
    expect(data[1]).toBe(0.5);
  });

  test('a single tensor goes unnamed, a record goes named in its key order', async () => {
    const server = await echoServer();
    const model = new RemoteModel(server.url);
    const t = tensor(new Int32Array([5]));
    await model.infer(t);
    await model.infer({ second: t, first: tensor(new Uint8Array([1, 2])) });
    const [single, record] = inferRequests(server).map((r) => decodeRequest(r.body));
    expect(single).toMatchObject({ kind: 'infer', inputNames: [], outputNames: [], config: '' });
    expect(record).toMatchObject({ kind: 'infer', inputNames: ['second', 'first'] });
    if (record?.kind === 'infer') expect(record.inputs.map((x) => x.dtype)).toEqual(['int32', 'uint8']);
  });

  test('metadata() sends a MetadataRequest and decodes the answer', async () => {
    const server = await echoServer();
    const meta = await new RemoteModel(server.url).metadata();
    expect(Buffer.from(server.received[0]!.body).equals(Buffer.from(encodeMetadataRequest()))).toBe(true);
    expect(meta.name).toBe('echo');
    expect(meta.inputs.map((io) => io.name)).toEqual(['a', 'b']);
  });

  test('a custom fetch is used for every call', async () => {
    const server = await echoServer();
    const urls: string[] = [];
    const model = new RemoteModel(server.url, {
      fetch: (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    await model.metadata();
    await model.infer(tensor(new Float64Array([1])));
    expect(urls).toEqual([server.url, server.url]);
  });
});

describe('byName', () => {
  test('names come from outputNames, else from the metadata when the counts agree', async () => {
    const server = await echoServer();
    const model = new RemoteModel(server.url);
    const a = tensor(new Float32Array([1]));
    const b = tensor(new Int8Array([2]));
    expect(Object.keys((await model.infer([a, b], { outputNames: ['q', 'r'] })).byName)).toEqual(['q', 'r']);
    expect(server.received).toHaveLength(1); // named outputs need no metadata
    const named = (await model.infer([a, b])).byName; // metadata: outputs x, y
    expect(named.x!.dtype).toBe('float32');
    expect(named.y!.dtype).toBe('int8');
    // One answer against two metadata outputs: which one it is cannot be known, so none is named.
    expect((await model.infer([b])).byName).toEqual({});
  });
});

describe('server errors', () => {
  const cases: Array<{
    status: number;
    body: string;
    headers?: Record<string, string>;
    code: string;
    says: string;
    retryAfter?: number;
  }> = [
    {
      status: 400,
      body: 'unknown input "nope"; the model\'s inputs are "a"\nsecond line\n',
      code: 'INVALID_ARGUMENT',
      says: 'answered 400: unknown input "nope"; the model\'s inputs are "a"',
    },
    { status: 404, body: 'no route for POST /x\n', code: 'NOT_FOUND', says: 'answered 404: no route for POST /x' },
    {
      status: 408,
      body: 'request body did not arrive within 300 ms\n',
      code: 'REQUEST_TIMEOUT',
      says: 'answered 408: request body did not arrive within 300 ms',
    },
    { status: 413, body: 'too big\n', code: 'PAYLOAD_TOO_LARGE', says: 'answered 413: too big' },
    { status: 418, body: "I'm a teapot\n", code: 'INVALID_ARGUMENT', says: "answered 418: I'm a teapot" },
    { status: 500, body: '', code: 'INTERNAL', says: 'answered 500: Internal Server Error' },
    { status: 502, body: 'upstream failed\n', code: 'UPSTREAM', says: 'answered 502: upstream failed' },
    {
      status: 503,
      body: 'server busy\n',
      headers: { 'retry-after': '7' },
      code: 'UNAVAILABLE',
      says: 'answered 503: server busy',
      retryAfter: 7,
    },
  ];

  test.each(cases)('HTTP $status → $code', async ({ status, body, headers, code, says, retryAfter }) => {
    const server = await start((_req, res) => reply(res, body, status, { 'content-type': 'text/plain', ...headers }));
    const model = new RemoteModel(server.url);
    for (const call of [() => model.infer(tensor(new Float32Array([1]))), () => model.metadata()]) {
      const err = await failure(call());
      expect(err.code).toBe(code);
      expect(err.status).toBe(status);
      expect(err.message).toBe(`${server.url} ${says}`);
      expect(err.retryAfter).toBe(retryAfter);
    }
    expect(server.received).toHaveLength(2); // an answered request is never retried
  });

  test.each([
    { status: 400, header: 'INVALID_MESSAGE', code: 'INVALID_MESSAGE' },
    { status: 503, header: 'UPSTREAM', code: 'UPSTREAM' },
    // Names that are not codes are ignored, the status tells.
    { status: 400, header: 'NO_SUCH_CODE', code: 'INVALID_ARGUMENT' },
    { status: 400, header: '__proto__', code: 'INVALID_ARGUMENT' },
    { status: 400, header: 'invalid_message', code: 'INVALID_ARGUMENT' },
  ])('HTTP $status naming "$header" in graphpipe-error-code → $code', async ({ status, header, code }) => {
    const server = await start((_req, res) =>
      reply(res, 'refused\n', status, { 'content-type': 'text/plain', 'graphpipe-error-code': header }),
    );
    const model = new RemoteModel(server.url);
    for (const call of [() => model.infer(tensor(new Float32Array([1]))), () => model.metadata()]) {
      const err = await failure(call());
      expect([err.code, err.status, err.message]).toEqual([code, status, `${server.url} answered ${status}: refused`]);
    }
  });

  test('a 200 InferResponse carrying errors makes infer throw with every message and code', async () => {
    const server = await start((_req, res) =>
      reply(
        res,
        encodeInferResponse({
          outputs: [tensor(new Float32Array([1]))],
          errors: [
            { code: 3, message: 'bad input' },
            { code: 13, message: 'model exploded' },
          ],
        }),
      ),
    );
    const err = await failure(new RemoteModel(server.url).infer(tensor(new Float32Array([1]))));
    expect(err.code).toBe('INTERNAL');
    expect(err.status).toBe(200);
    expect(err.message).toBe(`${server.url} reported: bad input (code 3); model exploded (code 13)`);
  });

  test.each([
    ['an HTML page', '<!doctype html><html><body>Welcome to nginx!</body></html>'],
    ['an empty body', ''],
    ['a JSON body', '{"outputs":[1,2,3]}'],
  ])('a 200 with %s is INVALID_MESSAGE', async (_what, body) => {
    const server = await start((_req, res) => reply(res, body, 200, { 'content-type': 'text/html' }));
    const model = new RemoteModel(server.url);
    for (const call of [() => model.infer(tensor(new Float32Array([1]))), () => model.metadata()]) {
      const err = await failure(call());
      expect(err.code).toBe('INVALID_MESSAGE');
      expect(err.message).toContain(`${server.url} sent an answer that is not a GraphPipe message`);
      expect(isGraphPipeError(err.cause)).toBe(true);
    }
  });
});

describe('deadlines and aborts', () => {
  /** A server that takes requests and never answers. */
  const silent = () => start(() => {});

  test('timeoutMs (from the constructor or per call) → DEADLINE_EXCEEDED', async () => {
    const server = await silent();
    const began = performance.now();
    const err = await failure(new RemoteModel(server.url, { timeoutMs: 100 }).infer(tensor(new Float32Array([1]))));
    expect(err.code).toBe('DEADLINE_EXCEEDED');
    expect(err.status).toBe(504);
    expect(err.message).toBe(`${server.url} did not answer within 100 ms`);
    expect(performance.now() - began).toBeGreaterThanOrEqual(90);
    expect(performance.now() - began).toBeLessThan(1500);
    const perCall = await failure(new RemoteModel(server.url, { timeoutMs: 60_000 }).metadata({ timeoutMs: 80 }));
    expect(perCall.code).toBe('DEADLINE_EXCEEDED');
    expect(perCall.message).toContain('within 80 ms');
  });

  test('the server is told the time left (grpc-timeout) on GraphPipe and v2, unless the caller set it', async () => {
    const graphpipe = await echoServer();
    const v2 = await start(replyV2Echo);
    const one = { a: tensor(new Float32Array([1])) };
    const sentTimeout = (server: TestServer) => server.received.at(-1)!.headers['grpc-timeout'];
    /** The header's milliseconds: what was left when the request went out. */
    const sentMs = (server: TestServer) => {
      const value = sentTimeout(server)!;
      expect(value).toMatch(/^\d{1,8}m$/);
      return Number(value.slice(0, -1));
    };

    for (const [server, url] of [
      [graphpipe, graphpipe.url],
      [v2, `${v2.url}/v2/models/echo`],
    ] as const) {
      await new RemoteModel(url, { timeoutMs: 1500 }).infer(one, { outputNames: ['a'] });
      expect(sentMs(server)).toBeGreaterThan(0);
      expect(sentMs(server)).toBeLessThanOrEqual(1500);
      // A deadline earlier than the call's time limit is the one told.
      await new RemoteModel(url, { timeoutMs: 60_000 }).infer(one, {
        outputNames: ['a'],
        deadline: performance.now() + 700,
      });
      expect(sentMs(server)).toBeLessThanOrEqual(700);
      // No time limit, no header; the caller's own (in any case) goes alone.
      await new RemoteModel(url).infer(one, { outputNames: ['a'] });
      expect(sentTimeout(server)).toBeUndefined();
      await new RemoteModel(url, { timeoutMs: 1500, headers: { 'Grpc-Timeout': '9S' } }).infer(one, {
        outputNames: ['a'],
      });
      expect(sentTimeout(server)).toBe('9S');
    }
    // Metadata is told too; more than 8 digits of milliseconds go as seconds.
    await new RemoteModel(graphpipe.url).metadata({ deadline: performance.now() + 200_000_000 });
    expect(sentTimeout(graphpipe)).toMatch(/^(199999|200000)S$/);
  });

  test('a deadline that passes while the body streams in is DEADLINE_EXCEEDED too', async () => {
    const server = await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
      res.write(Buffer.alloc(10)); // and the rest never comes
    });
    const err = await failure(new RemoteModel(server.url).infer(tensor(new Float32Array([1])), { timeoutMs: 150 }));
    expect(err.code).toBe('DEADLINE_EXCEEDED');
  });

  test('aborting → ABORTED (before sending, while waiting, while the body streams)', async () => {
    const server = await silent();
    const model = new RemoteModel(server.url);
    const pre = await failure(model.infer(tensor(new Float32Array([1])), { signal: AbortSignal.abort() }));
    expect(pre.code).toBe('ABORTED');
    expect(pre.status).toBe(499);
    expect(server.received).toHaveLength(0);

    const abort = new AbortController();
    const waiting = model.infer(tensor(new Float32Array([1])), { signal: abort.signal, timeoutMs: 10_000 });
    await vi.waitFor(() => expect(server.received, 'the request to reach the server').toHaveLength(1));
    abort.abort();
    const mid = await failure(waiting);
    expect(mid.code).toBe('ABORTED');
    expect(mid.message).toBe(`request to ${server.url} was aborted`);

    const streaming = await start((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write(Buffer.alloc(10));
    });
    const abort2 = new AbortController();
    let headersIn = false;
    const call = new RemoteModel(streaming.url, {
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        headersIn = true; // the headers are in; the body is still coming
        return res;
      },
    }).metadata({ signal: abort2.signal });
    await vi.waitFor(() => expect(headersIn, 'the answer to start').toBe(true));
    abort2.abort();
    expect((await failure(call)).code).toBe('ABORTED');
  });
});

describe('broken answers', () => {
  test('an answer cut short of its Content-Length is a NETWORK error, not a raw exception', async () => {
    const server = await start((_req, res) => {
      res.writeHead(200, { 'content-length': 200_000 });
      res.write(new Uint8Array(100_000), () => res.destroy()); // once that part is on its way
    });
    const err = await rejection(new RemoteModel(server.url, { retries: 0 }).metadata());
    expect(err).toMatchObject({ name: 'GraphPipeError', code: 'NETWORK' });
    expect((err as Error).message).toContain(`reading the answer from ${server.url} failed`);
  });

  test("a deadline from the caller's own signal says so without a number", async () => {
    const server = await start(() => {});
    const err = await rejection(new RemoteModel(server.url).metadata({ signal: AbortSignal.timeout(50) }));
    expect(err).toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    expect((err as Error).message).toMatch(/did not answer in time$/);
  });
});

describe('network failures and retries', () => {
  /** A fetch that counts its attempts, and those that failed. */
  function counting() {
    const calls = { n: 0, failed: 0 };
    const f: typeof fetch = (input, init) => {
      calls.n++;
      return fetch(input, init).catch((err: unknown) => {
        calls.failed++;
        throw err;
      });
    };
    return { fetch: f, calls };
  }

  test('a refused connection is retried with backoff, then NETWORK', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const { fetch: f, calls } = counting();
    const began = performance.now();
    const err = await failure(new RemoteModel(url, { fetch: f }).metadata());
    expect(err.code).toBe('NETWORK');
    expect(err.message).toBe(`cannot reach ${url}: ECONNREFUSED`);
    expect(calls.n).toBe(3); // 1 + the default 2 retries
    expect(performance.now() - began).toBeGreaterThanOrEqual(280); // 100 + 200 ms of backoff
    // infer is retried too: nothing was sent.
    const inferCalls = counting();
    expect(
      (
        await failure(
          new RemoteModel(url, { fetch: inferCalls.fetch, retries: 1 }).infer(tensor(new Float32Array([1]))),
        )
      ).code,
    ).toBe('NETWORK');
    expect(inferCalls.calls.n).toBe(2);
    const once = counting();
    expect((await failure(new RemoteModel(url, { fetch: once.fetch, retries: 0 }).metadata())).code).toBe('NETWORK');
    expect(once.calls.n).toBe(1);
  });

  test('metadata() succeeds when the server comes up during the backoff', async () => {
    const port = await freePort();
    const { fetch: f, calls } = counting();
    const pending = new RemoteModel(`http://127.0.0.1:${port}`, { fetch: f, retries: 4 }).metadata();
    await vi.waitFor(() => expect(calls.failed, 'a refusal').toBeGreaterThan(0), { interval: 5 }); // now in a backoff
    await start((req, res) => {
      expect(decodeRequest(req.body).kind).toBe('metadata');
      reply(res, encodeMetadataResponse({ name: 'late' }));
    }, port);
    const meta = await pending;
    expect(meta.name).toBe('late');
    expect(calls.n).toBeGreaterThanOrEqual(2);
    expect(calls.n).toBeLessThanOrEqual(4);
  });

  test('a connection dropped after the request was sent is not retried', async () => {
    const server = await start((_req, res) => {
      res.socket?.destroy();
    });
    const { fetch: f, calls } = counting();
    const err = await failure(
      new RemoteModel(server.url, { fetch: f, retries: 3 }).infer(tensor(new Float32Array([1]))),
    );
    expect(err.code).toBe('NETWORK');
    expect(calls.n).toBe(1);
    expect(server.received).toHaveLength(1); // the model would not run twice
  });

  test('an abort or deadline during the retry backoff stops the retries', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const abort = new AbortController();
    const { fetch: f, calls } = counting();
    const pending = failure(new RemoteModel(url, { fetch: f, retries: 10 }).metadata({ signal: abort.signal }));
    await vi.waitFor(() => expect(calls.failed, 'a refusal').toBeGreaterThan(0), { interval: 5 }); // now in a backoff
    const began = performance.now();
    abort.abort();
    const aborted = await pending;
    expect(aborted.code).toBe('ABORTED');
    expect(performance.now() - began).toBeLessThan(500);
    const late = await failure(new RemoteModel(url, { retries: 10, timeoutMs: 120 }).metadata());
    expect(late.code).toBe('DEADLINE_EXCEEDED');
  });
});
