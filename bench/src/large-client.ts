/**
 * The large tier's load generator. Each server kind's request is encoded once and sent as bytes
 * over node:http with keep-alive; an answer is read as chunks and counted, and the first one is
 * decoded and compared with what was sent. Encoding and decoding on the client side are left out
 * on purpose: this tier measures servers (the codec tier measures codecs). A client built on
 * fetch spent several times the server's time per 0.6 MB request, so it, not the server, set the
 * rows/s of every cell, and adding clients in one process only queued them behind it.
 */
import { Agent, request } from 'node:http';
import { RemoteModel, type RemoteModelOptions } from '@graphpipe/client';
import { nodeHttpTransport } from '@graphpipe/client/node';
import { concatBytes, decodeInferResponse, encodeInferRequest, type Tensor, tensor } from '@graphpipe/protocol';
import { decodeV2Response, encodeV2Request, HEADER_LENGTH_HEADER } from '@graphpipe/protocol/v2';
import { fromJson, toJson } from './baselines/json.js';
import { IMAGE_ROW, randomFloats, rowElements } from './data.js';
import type { LargeServer } from './results.js';

/** What a server is sent, and how its answer is read back into the rows that were sent. */
interface Exchange {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /** The data of the answer's one output (and its rows), from the whole answer and its headers. */
  decode(bytes: Uint8Array, header: (name: string) => string | undefined): { rows: number; data: Float32Array };
}

const OCTETS = 'application/octet-stream';
const V2_INFER = '/v2/models/identity/infer';

function exchangeFor(server: Exclude<LargeServer, 'client' | 'client-http'>, input: Tensor): Exchange {
  const data = input.data as Float32Array;
  const rowsOf = (t: Tensor) => ({ rows: t.shape[0]!, data: t.data as Float32Array });
  switch (server) {
    case 'graphpipe':
      return {
        path: '/',
        headers: { 'content-type': OCTETS },
        body: encodeInferRequest({ inputs: [input] }),
        decode: (bytes) => rowsOf(decodeInferResponse(bytes).outputs[0]!),
      };
    case 'bare-http':
    case 'go-echo': {
      // The same bytes the GraphPipe cell sends: the floor moves bytes and nothing else.
      const body = encodeInferRequest({ inputs: [input] });
      return {
        path: '/',
        headers: { 'content-type': OCTETS },
        body,
        decode: (bytes) => {
          if (bytes.length !== body.length || bytes.some((b, i) => b !== body[i]))
            throw new Error(`${server}: the echo differs from the request`);
          return { rows: input.shape[0]!, data };
        },
      };
    }
    case 'v2-binary':
    case 'v2-json': {
      const binary = server === 'v2-binary';
      const body = encodeV2Request({
        inputs: [{ name: 'input0', tensor: input }],
        binaryInputs: binary,
        binaryOutput: binary,
      });
      return {
        path: V2_INFER,
        headers: {
          'content-type': binary ? OCTETS : 'application/json',
          ...(body.headerLength === undefined ? {} : { [HEADER_LENGTH_HEADER]: String(body.headerLength) }),
        },
        body: concatBytes(body.chunks),
        decode: (bytes, header) => rowsOf(decodeV2Response(bytes, header(HEADER_LENGTH_HEADER)).outputs[0]!.tensor),
      };
    }
    case 'json':
      return {
        path: '/',
        headers: { 'content-type': 'application/json' },
        body: new TextEncoder().encode(toJson(input.shape, data)),
        decode: (bytes) => {
          const out = fromJson(new TextDecoder().decode(bytes));
          return { rows: out.shape[0]!, data: out.data };
        },
      };
  }
}

/** The rows at the ends and middle of `got` are those of `sent`. */
export function sameEnds(got: Float32Array, sent: Float32Array): boolean {
  return got.length === sent.length && [0, sent.length >> 1, sent.length - 1].every((i) => got[i] === sent[i]);
}

/**
 * Our own client, `RemoteModel`, encoding and decoding every call: what an application sees, next
 * to the load generator's rows/s in the same cell. One model per connection, each used by one call
 * at a time (as `reuse` wants). Every answer is checked at its ends and middle (a view of the
 * received bytes: no copy to check).
 */
function remoteModelClient(
  url: string,
  input: Tensor,
  connections: number,
  options: () => RemoteModelOptions,
): LargeClient {
  const idle = Array.from({ length: connections }, () => new RemoteModel(url, options()));
  const rows = input.shape[0]!;
  return {
    async once() {
      const model = idle.pop()!;
      try {
        const { outputs } = await model.infer(input, { outputNames: ['output0'] });
        if (outputs[0]?.shape[0] !== rows || !sameEnds(outputs[0].data as Float32Array, input.data as Float32Array))
          throw new Error('client: the round trip did not return the data that was sent');
      } finally {
        idle.push(model);
      }
      return rows;
    },
    close() {},
  };
}

/** Sends one request and collects the answer's chunks (joined only when asked to be checked). */
function post(
  agent: Agent,
  url: URL,
  exchange: Exchange,
): Promise<{ status: number; chunks: Buffer[]; length: number; header(name: string): string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...exchange.headers, 'content-length': exchange.body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        let length = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          length += chunk.length;
        });
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            chunks,
            length,
            header: (name) => [res.headers[name] ?? []].flat()[0],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(exchange.body);
  });
}

export interface LargeClient {
  /** Sends one request of `batch` rows; resolves to the rows that came back. */
  once(): Promise<number>;
  close(): void;
}

/**
 * A client for `server` at `url` holding up to `connections` keep-alive connections. Every answer
 * must be a 200 of the first answer's length; the first is decoded and checked value by value at
 * its ends and middle.
 */
export function largeClient(server: LargeServer, url: string, batch: number, connections: number): LargeClient {
  const data = randomFloats(batch * rowElements(IMAGE_ROW), 3);
  if (server === 'client' || server === 'client-http') {
    // client-http: node:http, each answer read into the previous one's memory (one model per connection).
    const options = (): RemoteModelOptions =>
      server === 'client' ? {} : { transport: nodeHttpTransport(), reuse: true };
    return remoteModelClient(url, tensor(data, [batch, ...IMAGE_ROW]), connections, options);
  }
  const exchange = exchangeFor(server, tensor(data, [batch, ...IMAGE_ROW]));
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(exchange.path, url);
  let expectedLength: number | undefined;
  return {
    async once() {
      const answer = await post(agent, target, exchange);
      if (answer.status !== 200) throw new Error(`${server} answered ${answer.status}`);
      if (expectedLength === undefined) {
        const got = exchange.decode(concatBytes(answer.chunks), answer.header);
        if (got.rows !== batch || !sameEnds(got.data, data))
          throw new Error(`${server}: the round trip did not return the data that was sent`);
        expectedLength = answer.length;
      } else if (answer.length !== expectedLength) {
        throw new Error(`${server} answered ${answer.length} bytes where ${expectedLength} were expected`);
      }
      return batch;
    },
    close: () => agent.destroy(),
  };
}
