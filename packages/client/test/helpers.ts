import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeV2Request, encodeV2Response } from '@graphpipe/protocol/v2';
import { afterAll } from 'vitest';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Uint8Array;
}

export type Handler = (req: Received, res: http.ServerResponse) => void | Promise<void>;

export interface TestServer {
  readonly url: string;
  readonly port: number;
  /** Every request the server got, in order. */
  readonly received: Received[];
  close(): Promise<void>;
}

/** Starts raw node:http servers on loopback port 0; all are closed after the file's tests. */
export function useRawServers(): (handler: Handler, port?: number) => Promise<TestServer> {
  const open: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (handler, port = 0) => {
    const received: Received[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r: Received = {
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: new Uint8Array(Buffer.concat(chunks)),
        };
        received.push(r);
        void Promise.resolve(handler(r, res)).catch((err: unknown) => res.destroy(err as Error));
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const actual = (server.address() as AddressInfo).port;
    let closed: Promise<void> | undefined;
    const handle: TestServer = {
      url: `http://127.0.0.1:${actual}`,
      port: actual,
      received,
      close: () =>
        (closed ??= new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        })),
    };
    open.push(handle);
    return handle;
  };
}

/** Answers 200 with these bytes. */
export function reply(
  res: http.ServerResponse,
  bytes: Uint8Array | string,
  status = 200,
  headers: http.OutgoingHttpHeaders = {},
): void {
  res.writeHead(status, { 'content-type': 'application/octet-stream', ...headers });
  res.end(typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

/** Answers as an Open Inference Protocol echo: every input back as binary data, with Content-Length. */
export function replyV2Echo(req: Received, res: http.ServerResponse): void {
  const request = decodeV2Request(req.body, req.headers['inference-header-content-length'] as string | undefined);
  if (request.kind !== 'infer') throw new Error('expected an inference request');
  const answer = encodeV2Response({
    modelName: 'echo',
    outputs: request.inputs.map((i) => ({ name: i.name, tensor: i.tensor, binary: true })),
  });
  const body = Buffer.concat(answer.chunks);
  reply(res, body, 200, {
    'content-length': body.length,
    'inference-header-content-length': String(answer.headerLength),
  });
}
