// gRPC's framing on the wire, as our HTTP/2 server reads and writes it, checked with Node's own
// HTTP/2 client byte by byte and with @grpc/grpc-js as a peer: messages cut anywhere across
// frames, compressed messages, malformed calls and non-gRPC requests, a caller that leaves
// mid-upload, large tensors read in place, and status messages percent-encoded.
import { type ClientHttp2Session, connect as http2Connect, type IncomingHttpHeaders } from 'node:http2';
import { promisify } from 'node:util';
import { deflate, gzip } from 'node:zlib';
import { RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import {
  fromBinary,
  GRPCInferenceService,
  GrpcStatus,
  inferRequest,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  responseOutputs,
  toBinary,
} from '@graphpipe/protocol/grpc';
import { createFunctionBackend } from '@graphpipe/server-core';
import { selfSignedCertificate } from '@graphpipe/test-utils/tls';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import * as fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { useServers } from './helpers.js';

const start = useServers();
const sessions: ClientHttp2Session[] = [];
afterAll(() => {
  for (const s of sessions.splice(0)) s.close();
});

const INFER = `/${GRPCInferenceService.typeName}/${GRPCInferenceService.method.modelInfer.name}`;
const echo = createFunctionBackend(({ input0 }) => input0!, { name: 'echo' });

async function server(options: Parameters<typeof start>[1] = {}) {
  const handle = await start([echo], { grpc: { port: 0 }, ...options });
  const session = http2Connect(handle.grpc!.url.replace('grpc://', 'http://'));
  sessions.push(session);
  return { handle, session, address: handle.grpc!.url.replace('grpc://', '') };
}

const request = (t: Tensor, modelName = 'echo') =>
  toBinary(ModelInferRequestSchema, inferRequest({ modelName, inputs: [{ name: 'input0', tensor: t }] }));

/** A message with its prefix: the compressed flag and the length. */
function framed(message: Uint8Array, compressed = false): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

interface Answer {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Buffer;
}

/** One call, its bytes written in the pieces given (each its own DATA frame), the answer whole. */
function call(
  session: ClientHttp2Session,
  pieces: readonly Uint8Array[],
  headers: Record<string, string> = {},
  path = INFER,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const chunks: Buffer[] = [];
    let answerHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    stream.on('response', (h) => (answerHeaders = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve({ headers: answerHeaders, trailers, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
    void (async () => {
      for (const piece of pieces) {
        await new Promise<void>((done) => stream.write(piece, () => done()));
      }
      stream.end();
    })();
  });
}

/** The status of an answer: from its trailers, or from its headers when it had no body. */
const statusOf = (a: Answer) => Number(a.trailers['grpc-status'] ?? a.headers['grpc-status']);
const messageOf = (a: Answer) => String(a.trailers['grpc-message'] ?? a.headers['grpc-message'] ?? '');

/** The answer's one ModelInferResponse, decoded. */
function inferAnswer(a: Answer) {
  expect(statusOf(a)).toBe(GrpcStatus.OK);
  expect(a.body[0]).toBe(0);
  const length = a.body.readUInt32BE(1);
  expect(a.body.length).toBe(5 + length);
  return fromBinary(ModelInferResponseSchema, a.body.subarray(5));
}

describe('framing', () => {
  test('a message cut anywhere across frames, even its prefix, reads as one', async () => {
    const { session } = await server();
    const x = tensor(new Float32Array([1.5, -2, 3.25, 4]), [1, 4]);
    const bytes = framed(request(x));
    for (const cuts of [[1], [2, 4], [5], [7, 8, 9], Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)]) {
      const pieces: Uint8Array[] = [];
      let at = 0;
      for (const cut of [...cuts, bytes.length]) {
        pieces.push(bytes.subarray(at, cut));
        at = cut;
      }
      const answer = inferAnswer(await call(session, pieces));
      expect(responseOutputs(answer)[0]!.tensor.data).toEqual(x.data);
    }
  });

  test('gzip and deflate messages (grpc-encoding) are inflated, from our framing and from grpc-js', async () => {
    const { session, address } = await server();
    const x = tensor(new Int32Array([7, 8, 9]), [3]);
    for (const [encoding, squeeze] of [
      ['gzip', promisify(gzip)],
      ['deflate', promisify(deflate)],
    ] as const) {
      const message = await squeeze(request(x));
      const answer = inferAnswer(await call(session, [framed(message, true)], { 'grpc-encoding': encoding }));
      expect(responseOutputs(answer)[0]!.tensor.data).toEqual(x.data);
    }
    // grpc-js compressing every message of its channel (2: gzip).
    const client = new Client(address, credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    try {
      const bytes = await new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(
          INFER,
          (b: Uint8Array) => Buffer.from(b),
          (b: Buffer) => b,
          request(x),
          new Metadata(),
          (err: ServiceError | null, value?: Buffer) => (err ? reject(err) : resolve(value!)),
        ),
      );
      expect(responseOutputs(fromBinary(ModelInferResponseSchema, bytes))[0]!.tensor.data).toEqual(x.data);
    } finally {
      client.close();
    }
  });

  test('a compressed message that inflates past maxBodyBytes is RESOURCE_EXHAUSTED, as an HTTP body is 413', async () => {
    const { session } = await server({ maxBodyBytes: 4096 });
    const bomb = await promisify(gzip)(request(tensor(new Float32Array(100_000), [100_000])));
    expect(bomb.length).toBeLessThan(4096);
    const answer = await call(session, [framed(bomb, true)], { 'grpc-encoding': 'gzip' });
    expect(statusOf(answer)).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(messageOf(answer)).toMatch(/exceeds the limit of 4096 bytes; raise maxBodyBytes/);
  });

  test('malformed calls get a status that says what is wrong, and the connection goes on', async () => {
    const { session } = await server();
    const message = request(tensor(new Uint8Array([1, 2])));
    const cases: [readonly Uint8Array[], Record<string, string>, number, RegExp][] = [
      [[], {}, GrpcStatus.INVALID_ARGUMENT, /without a request message/],
      [[Buffer.from([0, 0])], {}, GrpcStatus.INVALID_ARGUMENT, /middle of a message prefix/],
      [[framed(message).subarray(0, 12)], {}, GrpcStatus.INVALID_ARGUMENT, /ended after 7 of/],
      [[framed(message), framed(message)], {}, GrpcStatus.INVALID_ARGUMENT, /one message/],
      [[Buffer.from([2, 0, 0, 0, 0])], {}, GrpcStatus.INTERNAL, /compressed flag is 2/],
      [[framed(message, true)], {}, GrpcStatus.INTERNAL, /needs a grpc-encoding/],
      [[framed(message, true)], { 'grpc-encoding': 'snappy' }, GrpcStatus.UNIMPLEMENTED, /"snappy"/],
      [[framed(message, true)], { 'grpc-encoding': 'gzip' }, GrpcStatus.INVALID_ARGUMENT, /gzip/],
      [[framed(Buffer.from([0xff, 0xff]))], {}, GrpcStatus.INVALID_ARGUMENT, /not a valid inference.ModelInferRequest/],
    ];
    for (const [pieces, headers, status, message] of cases) {
      const answer = await call(session, pieces, headers);
      expect(statusOf(answer), message.source).toBe(status);
      expect(messageOf(answer)).toMatch(message);
      expect(messageOf(answer)).not.toMatch(/\n/);
    }
    const unknown = await call(session, [framed(new Uint8Array(0))], {}, '/inference.GRPCInferenceService/Nope');
    expect(statusOf(unknown)).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(inferAnswer(await call(session, [framed(message)])).modelName).toBe('echo');
  });

  test('a request that is not a gRPC call gets an HTTP status, as the specification says', async () => {
    const { session } = await server();
    const ask = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const stream = session.request(headers, { endStream: true });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.on('error', reject);
        stream.resume();
      });
    expect(await ask({ ':method': 'GET', ':path': INFER })).toBe(405);
    expect(await ask({ ':method': 'POST', ':path': INFER, 'content-type': 'application/json' })).toBe(415);
    expect(await ask({ ':method': 'POST', ':path': INFER, 'content-type': 'application/grpc-web' })).toBe(415);
  });

  test('a status message outside printable ASCII is percent-encoded, and grpc-js reads it back', async () => {
    const { session, address } = await server();
    const answer = await call(session, [framed(request(tensor(new Uint8Array(1)), 'modèle%'))]);
    // Not a valid model name: INVALID_ARGUMENT, the name quoted in the message.
    expect(statusOf(answer)).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(messageOf(answer)).toMatch(/mod%C3%A8le%25/);
    const client = new Client(address, credentials.createInsecure());
    try {
      const err = await new Promise<ServiceError>((resolve) =>
        client.makeUnaryRequest(
          INFER,
          (b: Uint8Array) => Buffer.from(b),
          (b: Buffer) => b,
          request(tensor(new Uint8Array(1)), 'modèle%'),
          new Metadata(),
          (e: ServiceError | null) => resolve(e!),
        ),
      );
      expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(err.details).toContain('modèle%');
    } finally {
      client.close();
    }
  });
});

test('fuzzed frames (any prefix, any bytes, cut anywhere, any grpc-encoding) get a status each, and the connection goes on', async () => {
  const { session } = await server({ maxBodyBytes: 4096 });
  const valid = framed(request(tensor(new Float32Array([1, 2]), [2])));
  const statuses = new Set(Object.values(GrpcStatus));
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 64 }),
        // A prefix of any flag and length, then some bytes.
        fc
          .tuple(fc.nat(3), fc.nat(100_000), fc.uint8Array({ maxLength: 64 }))
          .map(([flag, length, rest]) => Buffer.concat([Buffer.from([flag]), u32(length), rest])),
        // The valid call with a few bytes changed.
        fc.tuple(fc.nat(valid.length - 1), fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([at, patch]) => {
          const copy = Buffer.from(valid);
          copy.set(patch.subarray(0, copy.length - at), at);
          return copy;
        }),
      ),
      fc.array(fc.nat(80), { maxLength: 4 }),
      fc.constantFrom(undefined, 'gzip', 'deflate', 'identity', 'snappy'),
      async (bytes, cuts, encoding) => {
        const ends = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
        const pieces = [...ends, bytes.length].map((end, i, all) => bytes.subarray(i === 0 ? 0 : all[i - 1], end));
        const answer = await call(session, pieces, encoding ? { 'grpc-encoding': encoding } : {});
        expect(statuses.has(statusOf(answer) as never), JSON.stringify(answer.trailers)).toBe(true);
        expect(messageOf(answer)).not.toMatch(/\n/);
      },
    ),
    { numRuns: 300 },
  );
  expect(inferAnswer(await call(session, [valid])).modelName).toBe('echo');
}, 120_000);

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

test('with TLS on the HTTP side, gRPC is TLS too (h2 by ALPN), and a client trusting the certificate calls it', async () => {
  const { cert, key } = await selfSignedCertificate();
  const handle = await start([echo], { grpc: { port: 0 }, tls: { cert, key } });
  expect(handle.grpc!.url).toMatch(/^grpcs:\/\//);
  const model = new RemoteModel(`${handle.grpc!.url}/models/echo`, { ca: cert });
  try {
    const x = tensor(new Float64Array([0.5, 1.5]), [1, 2]);
    expect((await model.infer(x)).outputs[0]!.data).toEqual(x.data);
  } finally {
    model.close();
  }
  const session = http2Connect(handle.grpc!.url.replace('grpcs://', 'https://'), { ca: cert });
  sessions.push(session);
  expect(
    session.alpnProtocol ?? (await new Promise((r) => session.once('connect', () => r(session.alpnProtocol)))),
  ).toBe('h2');
});

test('a long ModelStreamInfer keeps no listener per message it has answered', async () => {
  const watching = createFunctionBackend(
    ({ input0 }, context) => {
      // Reading the signal makes each message watch the stream for the caller leaving.
      expect(context.signal.aborted).toBe(false);
      return input0!;
    },
    { name: 'watching' },
  );
  const handle = await start([watching], { grpc: { port: 0 } });
  const session = http2Connect(handle.grpc!.url.replace('grpc://', 'http://'));
  sessions.push(session);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  try {
    const stream = session.request({
      ':method': 'POST',
      ':path': `/${GRPCInferenceService.typeName}/${GRPCInferenceService.method.modelStreamInfer.name}`,
      'content-type': 'application/grpc',
    });
    const answers: Buffer[] = [];
    let waiting: (() => void) | undefined;
    stream.on('data', (c: Buffer) => {
      answers.push(c);
      waiting?.();
    });
    // One message at a time, each answered before the next: 40 in all, past Node's warning at 10 listeners.
    for (let i = 0; i < 40; i++) {
      const answered = new Promise<void>((resolve) => (waiting = resolve));
      stream.write(framed(request(tensor(new Int32Array([i])), 'watching')));
      await answered;
    }
    stream.end();
    await new Promise((resolve) => stream.on('end', resolve).resume());
    expect(answers.length).toBeGreaterThanOrEqual(40);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  } finally {
    process.off('warning', onWarning);
  }
});

describe('memory', () => {
  test('large raw contents are read in place wherever they fall in the message, and come back whole', async () => {
    const seen: { offset: number; view: boolean }[] = [];
    const inPlace = createFunctionBackend(
      ({ input0 }) => {
        const data = input0!.data as Float32Array;
        seen.push({ offset: data.byteOffset, view: data.buffer.byteLength > data.byteLength });
        return input0!;
      },
      { name: 'in-place' },
    );
    const handle = await start([inPlace], { grpc: { port: 0 } });
    const session = http2Connect(handle.grpc!.url.replace('grpc://', 'http://'));
    sessions.push(session);
    const x = tensor(
      new Float32Array(300_000).map((_, i) => i / 7),
      [1000, 300],
    );
    // Request ids of each length mod 4: the contents start at every alignment in the message.
    for (const id of ['', 'x', 'xx', 'xxx']) {
      const padded = toBinary(
        ModelInferRequestSchema,
        inferRequest({ modelName: 'in-place', id, inputs: [{ name: 'input0', tensor: x }] }),
      );
      // Sent in 16 KiB frames, as gRPC clients send.
      const bytes = framed(padded);
      const pieces = Array.from({ length: Math.ceil(bytes.length / 16384) }, (_, i) =>
        bytes.subarray(i * 16384, (i + 1) * 16384),
      );
      const answer = inferAnswer(await call(session, pieces));
      expect(responseOutputs(answer)[0]!.tensor.data).toEqual(x.data);
    }
    expect(seen).toHaveLength(4);
    for (const s of seen) expect(s).toEqual({ offset: expect.any(Number), view: true });
    expect(new Set(seen.map((s) => s.offset % 4))).toEqual(new Set([0]));
  });

  test('a caller that leaves mid-upload gives its bytes back, and the server goes on', async () => {
    const { handle, session } = await server();
    const message = framed(request(tensor(new Float32Array(250_000), [250_000])));
    await new Promise<void>((resolve) => {
      const stream = session.request({ ':method': 'POST', ':path': INFER, 'content-type': 'application/grpc' });
      stream.on('error', () => {});
      stream.write(message.subarray(0, 500_000), () => {
        stream.close(8 /* CANCEL */);
        resolve();
      });
    });
    await expect.poll(() => handle.core.budget.inUse, { timeout: 5000 }).toBe(0);
    expect(inferAnswer(await call(session, [framed(request(tensor(new Uint8Array(3))))])).modelName).toBe('echo');
  });
});
