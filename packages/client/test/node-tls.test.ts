import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { RemoteModel, tensor } from '@graphpipe/client';
import { createTlsFetch, nodeHttpTransport } from '@graphpipe/client/node';
import { decodeRequest, encodeInferResponse, encodeMetadataResponse, isGraphPipeError } from '@graphpipe/protocol';
import { rejection } from '@graphpipe/test-utils';
import { selfSignedCertificate } from '@graphpipe/test-utils/tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

let server: https.Server;
let url: string;
let cert: string;

beforeAll(async () => {
  const pems = await selfSignedCertificate();
  cert = pems.cert;
  // Echoes every input back, so a streamed upload can be checked whole.
  server = https.createServer(pems, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = decodeRequest(new Uint8Array(Buffer.concat(chunks)));
      const answer =
        request.kind === 'infer'
          ? encodeInferResponse({ outputs: request.inputs })
          : encodeMetadataResponse({ name: 'echo', inputs: [], outputs: [] });
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const trusting = {
  createTlsFetch: (ca: string) => ({ fetch: createTlsFetch({ ca }) }),
  nodeHttpTransport: (ca: string) => ({ transport: nodeHttpTransport({ ca }) }),
};

describe.each(Object.keys(trusting) as (keyof typeof trusting)[])('%s', (name) => {
  const trust = trusting[name];
  test('calls a server whose self-signed certificate it was given, streaming a large upload', async () => {
    const model = new RemoteModel(url, trust(cert));
    expect((await model.metadata()).name).toBe('echo');
    const data = new Float32Array(500_000).map((_, i) => i);
    const { outputs } = await model.infer(tensor(data, [1000, 500]));
    expect(outputs[0]!.shape).toEqual([1000, 500]);
    expect((outputs[0]!.data as Float32Array)[499_999]).toBe(499_999);
  });

  test("without that certificate, or with another one, the call fails: the server's is not trusted", async () => {
    const other = await selfSignedCertificate();
    for (const options of [{}, trust(other.cert)]) {
      const err = await rejection(new RemoteModel(url, { ...options, retries: 0 }).metadata());
      expect(isGraphPipeError(err)).toBe(true);
      expect((err as Error).message).toMatch(
        /: [A-Z_]+: the server's certificate is not trusted; trust its CA with createTlsFetch/,
      );
    }
  });
});
