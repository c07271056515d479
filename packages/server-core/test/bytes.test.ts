// String elements are bytes end to end: an identity model on a real server returns whatever bytes
// it was sent (invalid UTF-8, NUL, a leading BOM, empty, 64 KiB) exactly, over GraphPipe, v2 JSON
// and v2 binary, through the client; and what JSON cannot hold is refused or sent as binary, never
// replaced.
import { byteValues, RemoteModel, type Tensor, type TensorOf, tensor } from '@graphpipe/client';
import { lengthPrefixed } from '@graphpipe/protocol/v2';
import { createFunctionBackend } from '@graphpipe/server-core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hex, post, text, useServers } from './helpers.js';

const start = useServers();
const utf8 = new TextEncoder();

const echo = createFunctionBackend(({ input0 }) => input0!, { name: 'echo' });

const big = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 256);
/** Elements a lossy decode or a C string would change. */
const EDGES = [
  Uint8Array.of(0xff, 0xfe),
  utf8.encode('a\0b'),
  Uint8Array.of(0xef, 0xbb, 0xbf, 0x61),
  new Uint8Array(0),
  Uint8Array.of(0xc3),
  big,
];

const elementsArb = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.constantFrom(...EDGES),
    fc.string({ unit: 'binary' }).map((s) => utf8.encode(s)),
  ),
  { minLength: 1, maxLength: 6 },
);

const hexes = (t: Tensor | undefined) => byteValues(t as TensorOf<'string'>).map(hex);

describe('an identity model returns String elements byte for byte', () => {
  for (const [label, options] of [
    ['GraphPipe', { protocol: 'graphpipe' }],
    ['v2 binary', { protocol: 'v2', model: 'echo' }],
    ['v2 JSON', { protocol: 'v2', model: 'echo', encoding: 'json' }],
  ] as const) {
    test(`over ${label}, through the client`, async () => {
      const { url } = await start(echo);
      const model = new RemoteModel(url, options);
      await fc.assert(
        fc.asyncProperty(elementsArb, async (elements) => {
          const { outputs } = await model.infer([tensor(elements, [elements.length])], { outputNames: ['output0'] });
          expect(hexes(outputs[0])).toEqual(elements.map(hex));
        }),
        // First the elements a lossy or BOM-eating decode would change, then random ones.
        { numRuns: 25, examples: [[EDGES]] },
      );
    });
  }
});

describe('v2 by hand', () => {
  const binaryRequest = (elements: Uint8Array[], outputs?: unknown) => {
    // Elements already bytes: the layout is each one after its 4-byte little-endian length.
    const payload = lengthPrefixed(elements);
    const head = utf8.encode(
      JSON.stringify({
        inputs: [
          {
            name: 'input0',
            shape: [elements.length],
            datatype: 'BYTES',
            parameters: { binary_data_size: payload.length },
          },
        ],
        ...(outputs ? { outputs } : {}),
      }),
    );
    const body = new Uint8Array(head.length + payload.length);
    body.set(head);
    body.set(payload, head.length);
    return { body, headers: { 'inference-header-content-length': String(head.length) }, payload };
  };

  test('BYTES that JSON cannot hold come back as binary data, exactly, even unasked', async () => {
    const { url } = await start(echo);
    const { body, headers, payload } = binaryRequest([Uint8Array.of(0xff, 0xfe), utf8.encode('a\0b')]);
    const res = await post(`${url}/v2/models/echo/infer`, body, headers);
    expect(res.status).toBe(200);
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    const json = JSON.parse(text(res.bytes.subarray(0, jsonLength)));
    expect(json.outputs[0]).toEqual({
      name: 'output0',
      datatype: 'BYTES',
      shape: [2],
      parameters: { binary_data_size: payload.length },
    });
    expect(hex(res.bytes.subarray(jsonLength))).toBe(hex(payload));
  });

  test('JSON BYTES keep NUL and a leading U+FEFF, as JSON and as binary data', async () => {
    const { url } = await start(echo);
    const words = ['\ufeffbom', 'a\u0000b', '', '\ufeff'];
    const request = (binary: boolean) =>
      utf8.encode(
        JSON.stringify({
          inputs: [{ name: 'input0', shape: [4], datatype: 'BYTES', data: words }],
          outputs: [{ name: 'output0', parameters: { binary_data: binary } }],
        }),
      );
    const asJson = await post(`${url}/v2/models/echo/infer`, request(false));
    expect(JSON.parse(text(asJson.bytes)).outputs[0].data).toEqual(words);
    const asBinary = await post(`${url}/v2/models/echo/infer`, request(true));
    const jsonLength = Number(asBinary.headers.get('inference-header-content-length'));
    expect(hex(asBinary.bytes.subarray(jsonLength))).toBe(hex(binaryRequest(words.map((w) => utf8.encode(w))).payload));
  });

  test('a \\u escape leaving a lone surrogate is a 400: it has no bytes to pass on', async () => {
    const { url } = await start(echo);
    const body = utf8.encode('{"inputs":[{"name":"input0","shape":[1],"datatype":"BYTES","data":["x\\ud800"]}]}');
    const res = await post(`${url}/v2/models/echo/infer`, body);
    expect(res.status).toBe(400);
    expect(JSON.parse(text(res.bytes)).error).toMatch(/lone surrogate/);
    // A pair is text, and passes.
    const pair = utf8.encode('{"inputs":[{"name":"input0","shape":[1],"datatype":"BYTES","data":["\\ud83d\\ude00"]}]}');
    const ok = await post(`${url}/v2/models/echo/infer`, pair);
    expect(JSON.parse(text(ok.bytes)).outputs[0].data).toEqual(['😀']);
  });
});
