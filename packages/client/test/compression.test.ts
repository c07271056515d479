// The client's `compression` option against a bare node:http server that shows what came over
// the wire: compressed request bodies with Content-Encoding, compressed answers inflated, and,
// without the option, answers asked for uncompressed (Node's fetch would otherwise ask for gzip).
import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { decodeRequest, encodeInferResponse, RemoteModel, tensor } from '@graphpipe/client';
import { describe, expect, test } from 'vitest';
import { reply, useRawServers } from './helpers.js';

const start = useRawServers();
const unzip = { gzip: gunzipSync, deflate: inflateSync } as const;
const x = tensor(new Float32Array([1, 2, 3, 4]), [1, 4]);

/** An inference request's inputs, echoed back as the answer. */
function echoed(body: Uint8Array): Uint8Array {
  const request = decodeRequest(body);
  if (request.kind !== 'infer') throw new Error(`expected an inference request, got ${request.kind}`);
  return encodeInferResponse({ outputs: request.inputs });
}

test('without the option, answers are asked for uncompressed and requests go as they are', async () => {
  const server = await start((req, res) => reply(res, echoed(req.body)));
  await new RemoteModel(server.url).infer(x, { outputNames: ['y'] });
  const [got] = server.received;
  expect(got!.headers['accept-encoding']).toBe('identity');
  expect(got!.headers['content-encoding']).toBeUndefined();
  expect(decodeRequest(got!.body).kind).toBe('infer');
});

describe.each(['gzip', 'deflate'] as const)('compression: %s', (coding) => {
  test('GraphPipe: the request is compressed, and so is the answer it asks for', async () => {
    const server = await start((req, res) => {
      reply(res, gzipSync(echoed(unzip[coding](req.body))), 200, { 'content-encoding': 'gzip' });
    });
    const { outputs } = await new RemoteModel(server.url, { compression: coding }).infer(x, { outputNames: ['y'] });
    expect(outputs[0]!.data).toEqual(x.data);
    const [got] = server.received;
    expect(got!.headers['content-encoding']).toBe(coding);
    // Answers are asked for in gzip, the one coding every runtime's fetch inflates.
    expect(got!.headers['accept-encoding']).toBe('gzip');
    expect(Number(got!.headers['content-length'])).toBe(got!.body.length);
  });

  test('v2 binary: Inference-Header-Content-Length counts the uncompressed JSON both ways', async () => {
    const server = await start((req, res) => {
      const body = unzip[coding](req.body);
      const jsonLength = Number(req.headers['inference-header-content-length']);
      const header = JSON.parse(body.subarray(0, jsonLength).toString()) as { inputs: { shape: number[] }[] };
      const json = Buffer.from(
        JSON.stringify({
          model_name: 'm',
          outputs: [
            { name: 'y', datatype: 'FP32', shape: header.inputs[0]!.shape, parameters: { binary_data_size: 16 } },
          ],
        }),
      );
      reply(res, gzipSync(Buffer.concat([json, body.subarray(jsonLength)])), 200, {
        'content-encoding': 'gzip',
        'inference-header-content-length': String(json.length),
      });
    });
    const model = new RemoteModel(`${server.url}/v2/models/m`, { compression: coding });
    const { outputs } = await model.infer({ x }, { outputNames: ['y'] });
    expect(outputs[0]!.data).toEqual(x.data);
    expect(server.received[0]!.headers['content-encoding']).toBe(coding);
  });
});

test('an unknown compression is refused when the model is made', () => {
  expect(() => new RemoteModel('http://127.0.0.1:1', { compression: 'br' as 'gzip' })).toThrow(
    /compression must be 'gzip' or 'deflate'/,
  );
});
