/**
 * Requests over node:http(s) instead of fetch. Node's fetch (undici) copies every piece of an
 * answer once more and passes it through a web stream; node:http hands over the socket's own
 * buffers, so an answer is copied once, from the socket's buffers into its place (a buffer sized
 * from Content-Length, or the caller's memory), and tensors are views of it. Requests go out as
 * the encoder's chunks, the caller's tensor memory uncopied.
 */
import { Agent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { byteLengthOf } from '@graphpipe/protocol';
import { allocate, placeIn } from '../body.js';
import type { Answer, Transport } from '../transport.js';
import type { Certificates } from './tls-fetch.js';

export interface NodeHttpTransportOptions {
  /** For https URLs: the certificate authorities to trust, in place of Node's bundled ones. */
  readonly ca?: Certificates;
  /** Connections kept per server (default: as many as there are concurrent calls). */
  readonly maxSockets?: number;
}

/**
 * A transport for `RemoteModelOptions.transport` over node:http and node:https, with keep-alive
 * connections (Node; Bun's node:http works too), for large tensors from Node (with `reuse`):
 *
 *     const model = new RemoteModel('http://127.0.0.1:9000', { transport: nodeHttpTransport() });
 */
export function nodeHttpTransport(options: NodeHttpTransportOptions = {}): Transport {
  const sockets = options.maxSockets === undefined ? {} : { maxSockets: options.maxSockets };
  const http = new Agent({ keepAlive: true, ...sockets });
  const https = new HttpsAgent({
    keepAlive: true,
    ...sockets,
    ...(options.ca ? { ca: options.ca as string | Buffer | (string | Buffer)[] } : {}),
  });
  return (url, { method, headers, chunks, signal }) =>
    new Promise<Answer>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const length = chunks ? { 'content-length': String(byteLengthOf(chunks)) } : {};
      const request = (secure ? httpsRequest : httpRequest)(
        target,
        { method, headers: { ...headers, ...length }, agent: secure ? https : http, signal },
        (response) => resolve(answerOf(response)),
      );
      request.on('error', reject);
      for (const chunk of chunks ?? []) request.write(chunk);
      request.end();
    });
}

function answerOf(response: IncomingMessage): Answer {
  const header = (name: string) => {
    const value = response.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    status: response.statusCode ?? 0,
    statusText: response.statusMessage ?? '',
    header,
    text: async () => new TextDecoder().decode(await readBody(response, 0)),
    bytes: (alignAt, into) => readBody(response, alignAt, into),
  };
}

/**
 * The body in one buffer, the byte at `alignAt` 8-aligned: copied from each socket buffer into
 * its place as it arrives when the length is known (in `into` when it fits), else joined at the end.
 */
function readBody(response: IncomingMessage, alignAt: number, into?: Uint8Array): Promise<Uint8Array> {
  const coding = response.headers['content-encoding'];
  const length = Number(response.headers['content-length'] ?? NaN);
  const inPlace = Number.isSafeInteger(length) && (coding === undefined || coding === 'identity');
  return new Promise((resolve, reject) => {
    const out = inPlace ? ((into && placeIn(into, length, alignAt)) ?? allocate(length, alignAt)) : undefined;
    const pieces: Buffer[] = [];
    let at = 0;
    response.on('data', (chunk: Buffer) => {
      if (!out) pieces.push(chunk);
      else if (at + chunk.length > length) {
        response.destroy(new Error(`the answer is longer than its Content-Length of ${length} bytes`));
        return;
      } else out.set(chunk, at);
      at += chunk.length;
    });
    response.on('error', reject);
    response.on('end', () => {
      try {
        if (out) return resolve(out);
        const body = inflate(Buffer.concat(pieces, at), coding);
        const placed = allocate(body.length, alignAt);
        placed.set(body);
        resolve(placed);
      } catch (err) {
        reject(err);
      }
    });
    // A connection closed before the whole answer came ends the stream without 'end' or 'error'.
    response.on('close', () => {
      if (!response.complete) reject(new Error(`the answer ended after ${at} of ${length} bytes`));
    });
  });
}

/** The body without its content coding (what fetch does by itself). */
function inflate(body: Buffer, coding: string | undefined): Uint8Array {
  switch (coding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    case 'br':
      return brotliDecompressSync(body);
    default:
      throw new Error(`the answer is encoded as ${coding}, which this client cannot decode`);
  }
}
