import { concatBytes, type Tensor, tensor } from '@graphpipe/protocol';
import { encodeV2Request } from '@graphpipe/protocol/v2';
import { randomInt as int } from '@graphpipe/test-utils';
import { mutate } from './mutate.js';

/** An Open Inference Protocol request: its body and its Inference-Header-Content-Length, if any. */
export interface V2Case {
  readonly body: Uint8Array;
  readonly header: string | undefined;
}

const utf8 = new TextEncoder();

function encoded(tensors: Tensor[], binary: boolean, extra: { outputs?: boolean } = {}): V2Case {
  const body = encodeV2Request({
    id: 'fuzz',
    inputs: tensors.map((t, i) => ({ name: i === 0 ? 'input0' : `extra${i}`, tensor: t })),
    outputs: extra.outputs ? [{ name: 'output0', binary: !binary }] : undefined,
    binaryInputs: binary,
    binaryOutput: binary,
  });
  return {
    body: concatBytes(body.chunks),
    header: body.headerLength === undefined ? undefined : String(body.headerLength),
  };
}

/** Seed requests for the echo model (input0 of any dtype): JSON, binary tensor data, and the raw form. */
export function v2Corpus(): V2Case[] {
  const f32 = tensor(new Float32Array([1.5, -2, 3.25, 0, 5.1, 1e-7]), [2, 3]);
  const i64 = tensor(new BigInt64Array([1n, -(2n ** 62n), 2n ** 53n + 1n]), [3]);
  const words = tensor(['', 'héllo', '日本語'], [3]);
  const bools = tensor(new Uint8Array([1, 0, 1, 1]), [2, 2], 'bool');
  const half = tensor(new Uint16Array([0x3c00, 0x7e00]), [2], 'float16');
  const bytes = tensor(new Uint8Array([0, 1, 255]), [3]);
  const doubles = tensor(new Float64Array([Math.PI, -0]), [2, 1]);
  const nested = utf8.encode(
    JSON.stringify({
      inputs: [
        {
          name: 'input0',
          shape: [2, 2],
          datatype: 'INT32',
          data: [
            [1, -2],
            [3, 4],
          ],
        },
      ],
      outputs: [{ name: 'output0', parameters: { binary_data: true } }],
    }),
  );
  // As curl users and Python's json.dumps(indent=…) write it: whitespace between every token.
  const pretty = utf8.encode(
    JSON.stringify(
      { id: 'p', inputs: [{ name: 'input0', shape: [3], datatype: 'FP64', data: [1.5, -0.25, 1e300] }] },
      null,
      2,
    ),
  );
  const dataFirst = utf8.encode(
    '{"inputs":[{"data":["a","b"],"datatype":"BYTES","name":"input0","shape":[2],"parameters":{}}],"parameters":{"binary_data_output":false}}',
  );
  return [
    ...[f32, i64, words, bools, bytes, doubles].map((t) => encoded([t], false)),
    ...[f32, i64, words, bools, half, doubles].map((t) => encoded([t], true, { outputs: true })),
    encoded([f32, words], true),
    { body: nested, header: undefined },
    { body: dataFirst, header: undefined },
    { body: pretty, header: undefined },
    { body: new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer), header: '0' },
  ];
}

// Values that break sizes, shapes and counts when they land where a number was.
const NUMBERS = [
  '-1',
  '0',
  '1',
  '2',
  '3',
  '255',
  '256',
  '65536',
  '4294967296',
  '9007199254740993',
  '1e308',
  '-0',
  '1.5',
  'NaN',
  '99999999999',
];
const WORDS = [
  '"FP32"',
  '"BYTES"',
  '"BOOL"',
  '"FP16"',
  '"BF16"',
  '"INT64"',
  '"UINT8"',
  '""',
  'null',
  'true',
  '[]',
  '{}',
  '"input0"',
  '"output0"',
];

/**
 * Mutations that know the request's shape: a number or string token of the JSON replaced, the
 * header's length nudged or replaced, or GraphPipe's byte-level mutations on the whole body.
 */
export function mutateV2(seed: V2Case, random: () => number): { request: V2Case; how: string } {
  const steps: string[] = [];
  let { body, header } = seed;
  for (let n = 1 + int(random, 3); n > 0; n--) {
    const choice = int(random, 10);
    if (choice < 4) {
      const jsonEnd = header === undefined ? body.length : Math.min(Number(header) || 0, body.length);
      const replaced = replaceToken(body, jsonEnd, random);
      if (replaced) {
        // The header still says the old length: sometimes keep it, sometimes follow the edit.
        const grew = replaced.length - body.length;
        if (header !== undefined && Number(header) > 0 && random() < 0.7) header = String(Number(header) + grew);
        body = replaced;
        steps.push('token');
        continue;
      }
    }
    if (choice < 6) {
      const options = [undefined, '0', '1', '-1', 'abc', String(body.length), String(body.length + 1), String(2 ** 40)];
      header =
        header !== undefined && random() < 0.5
          ? String(Number(header) + int(random, 9) - 4)
          : options[int(random, options.length)];
      steps.push('header');
      continue;
    }
    const m = mutate(body, random);
    body = m.bytes;
    steps.push(m.how);
  }
  return { request: { body, header }, how: steps.join('+') };
}

/** Replaces one number or string token in the JSON part with a boundary value; undefined if it has none. */
function replaceToken(body: Uint8Array, jsonEnd: number, random: () => number): Uint8Array | undefined {
  const text = new TextDecoder().decode(body.subarray(0, jsonEnd));
  const tokens = [...text.matchAll(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*"/g)];
  if (!tokens.length) return undefined;
  const token = tokens[int(random, tokens.length)]!;
  const pool = token[0].startsWith('"') && random() < 0.7 ? WORDS : NUMBERS;
  const replacement = pool[int(random, pool.length)]!;
  const edited = text.slice(0, token.index) + replacement + text.slice(token.index! + token[0].length);
  return concatBytes([utf8.encode(edited), body.subarray(jsonEnd)]);
}
