import { decodeInferResponse, decodeMetadataResponse, type Tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import type { ServerHandle } from '@graphpipe/server-core/node';
import { beforeEach, describe, expect, test } from 'vitest';
import { expectSameTensor, post, text, useServers, vector } from './helpers.js';

// The original clients send no meaningful Content-Type; the server must ignore whatever comes.
const CONTENT_TYPES: Array<Record<string, string>> = [
  {},
  { 'content-type': 'application/json' },
  { 'content-type': 'application/x-www-form-urlencoded' },
  { 'content-type': 'text/plain;charset=UTF-8' },
  { 'content-type': 'multipart/form-data; boundary=xyz' },
];

// Which input each output echoes, across both echo models below.
const ECHO: Record<string, string> = { output0: 'input0', third: 'some', fourth: 'other' };

describe('conformance vectors against echo backends', () => {
  const start = useServers();
  const configs: string[] = [];
  let single: ServerHandle;
  let pair: ServerHandle;

  beforeEach(async () => {
    configs.length = 0;
    const echo = (
      inputs: Readonly<Record<string, Tensor>>,
      { outputNames, config }: { outputNames: readonly string[]; config: string },
    ) => {
      configs.push(config);
      return Object.fromEntries(outputNames.map((name) => [name, inputs[ECHO[name]!]!]));
    };
    // Like the Go echo server: one input "input0", one output "output0", any dtype and shape.
    single = await start(createFunctionBackend(echo, { name: 'SimpleModel' }));
    pair = await start(
      createFunctionBackend(echo, {
        name: 'pair',
        inputs: [
          { name: 'some', dtype: 'string' },
          { name: 'other', dtype: 'float64', shape: [-1, 3] },
        ],
        outputs: [{ name: 'third' }, { name: 'fourth' }],
      }),
    );
  });

  const inferCases = [
    { request: 'sample_request.bin', answer: 'go_echo_infer_response.bin', config: '' },
    { request: 'sample_request_named.bin', answer: 'go_echo_named_response.bin', config: '{"debug":1}' },
    { request: 'sample_string_request.bin', answer: 'go_echo_string_response.bin', config: '' },
  ];

  test.each(inferCases)('$request answers like the Go server ($answer)', async ({ request, answer, config }) => {
    const expected = decodeInferResponse(vector(answer));
    expect(expected.outputs.length).toBe(1);
    for (const headers of CONTENT_TYPES) {
      const res = await post(single.url, vector(request), headers);
      expect(res.status, text(res.bytes)).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      const got = decodeInferResponse(res.bytes);
      expect(got.errors).toEqual([]);
      expect(got.outputs.length).toBe(expected.outputs.length);
      got.outputs.forEach((t, i) => expectSameTensor(t, expected.outputs[i]!));
    }
    expect(configs).toEqual(CONTENT_TYPES.map(() => config));
  });

  test('the Go answers hold the values the vectors describe', () => {
    const [floats] = decodeInferResponse(vector('go_echo_infer_response.bin')).outputs;
    expect(floats!.dtype).toBe('float32');
    expect(floats!.shape).toEqual([2, 3]);
    expect(Array.from(floats!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    const [strings] = decodeInferResponse(vector('go_echo_string_response.bin')).outputs;
    expect(strings!.dtype).toBe('string');
    expect((strings!.data as Uint8Array[]).map((b) => text(b))).toEqual(['foo', 'barbaz']);
  });

  test('py_inferreq (two named inputs, two named outputs, config) answers like py_inferresp', async () => {
    const expected = decodeInferResponse(vector('py_inferresp.bin'));
    for (const headers of CONTENT_TYPES) {
      const res = await post(pair.url, vector('py_inferreq.bin'), headers);
      expect(res.status, text(res.bytes)).toBe(200);
      const got = decodeInferResponse(res.bytes);
      expect(got.errors).toEqual([]);
      expect(got.outputs.map((t) => t.dtype)).toEqual(['string', 'float64']);
      expectSameTensor(got.outputs[0], expected.outputs[0]!);
      expectSameTensor(got.outputs[1], expected.outputs[1]!);
      expect(Array.from(got.outputs[1]!.data as Float64Array)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    }
    expect(configs).toEqual(CONTENT_TYPES.map(() => 'conf'));
  });

  test.each(['sample_metadata_request.bin', 'py_metadatareq.bin', 'request_none_type.bin'])(
    '%s gets the metadata response',
    async (request) => {
      for (const headers of CONTENT_TYPES) {
        const res = await post(pair.url, vector(request), headers);
        expect(res.status, text(res.bytes)).toBe(200);
        const meta = decodeMetadataResponse(res.bytes);
        expect(meta.name).toBe('pair');
        expect(meta.server).toBe('graphpipe-ts');
        expect(meta.inputs.map((io) => [io.name, io.dtype, io.shape])).toEqual([
          ['some', 'string', undefined], // declared without a shape: any rank, sent as no shape field
          ['other', 'float64', [-1, 3]],
        ]);
        expect(meta.outputs.map((io) => io.name)).toEqual(['third', 'fourth']);
      }
      expect(configs).toEqual([]); // metadata never reaches the backend
    },
  );

  test("the Go server's metadata response decodes as it is", () => {
    const meta = decodeMetadataResponse(vector('go_echo_metadata_response.bin'));
    expect(meta.name).toBe('SimpleModel');
    expect(meta.inputs.map((io) => [io.name, io.shape, io.dtype])).toEqual([['input0', [0], 'int64']]);
    expect(meta.outputs.map((io) => [io.name, io.shape, io.dtype])).toEqual([['output0', [0], 'int64']]);
  });

  test('a request POSTed to any path is served (clients POST to the URL they were given)', async () => {
    const res = await post(`${single.url}/some/model/path?x=1`, vector('sample_request.bin'));
    expect(res.status).toBe(200);
    expect(Array.from(decodeInferResponse(res.bytes).outputs[0]!.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
