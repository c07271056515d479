// String elements are bytes: text is read from them exactly or refused with the element's index,
// and only the display helper may show U+FFFD.
import { describe, expect, test } from 'vitest';
import {
  byteValues,
  decodeTensor,
  displayStrings,
  encodeTensor,
  GraphPipeError,
  type TensorOf,
  tensor,
  tensorToJson,
  textValues,
  utf8Values,
} from '../src/index.js';
import { decodeV2Request, encodeV2Request } from '../src/v2/index.js';

const utf8 = new TextEncoder();
const strings = (...data: (string | Uint8Array)[]) => tensor(data) as TensorOf<'string'>;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('utf8Values and textValues', () => {
  test('decode exactly: a leading U+FEFF stays, NUL is text to utf8Values', () => {
    const t = strings(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), utf8.encode('a\0b'), '😀', new Uint8Array(0));
    expect(utf8Values(t, 'input "x"')).toEqual(['\ufeffa', 'a\0b', '😀', '']);
  });

  test.each([
    [strings('ok', Uint8Array.of(0xff, 0xfe)), /^input "x": element 1 is not valid UTF-8 text/],
    [strings(Uint8Array.of(0xc3)), /^input "x": element 0 is not valid UTF-8 text/],
    [strings('a', 'b', 'x\ud800'), /^input "x": element 2 holds a lone surrogate/],
  ])('refuse what is not UTF-8 with INVALID_ARGUMENT naming the element (%#)', (t, message) => {
    for (const read of [utf8Values, textValues]) {
      const err = (() => {
        try {
          read(t, 'input "x"');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(GraphPipeError);
      expect((err as GraphPipeError).code).toBe('INVALID_ARGUMENT');
      expect((err as GraphPipeError).message).toMatch(message);
    }
  });

  test('textValues refuses NUL, which C-string consumers would cut at', () => {
    expect(() => textValues(strings('ok', utf8.encode('a\0b')), 'input "x"')).toThrow(
      /^input "x": element 1 holds a NUL byte; this model takes UTF-8 text without NUL bytes$/,
    );
    expect(textValues(strings('ok', '\ufeff'), 'input "x"')).toEqual(['ok', '\ufeff']);
  });
});

test('byteValues gives the bytes; a lone surrogate has none and is refused', () => {
  expect(byteValues(strings('é', Uint8Array.of(0xff))).map(hex)).toEqual(['c3a9', 'ff']);
  expect(() => byteValues(strings('\udc00'))).toThrow(/element 0 holds a lone surrogate/);
});

test('displayStrings alone shows U+FFFD, for display', () => {
  expect(displayStrings(strings(Uint8Array.of(0xff), Uint8Array.of(0xef, 0xbb, 0xbf)))).toEqual(['\ufffd', '\ufeff']);
});

test('encoders refuse a lone surrogate rather than send U+FFFD', () => {
  const t = strings('fine', 'x\ud800');
  expect(() => encodeTensor(t)).toThrow(/element 1 holds a lone surrogate/);
  for (const binaryInputs of [true, false]) {
    expect(() => encodeV2Request({ inputs: [{ name: 'x', tensor: t }], binaryInputs })).toThrow(
      /element 1 holds a lone surrogate/,
    );
  }
  const ok = strings(Uint8Array.of(0xff, 0), '\ufeff');
  expect((decodeTensor(encodeTensor(ok)).data as Uint8Array[]).map(hex)).toEqual(['ff00', 'efbbbf']);
});

test('a JSON tensor file refuses elements JSON cannot hold, saying what to do', () => {
  expect(tensorToJson(strings('a\0b', '\ufeff')).data).toEqual(['a\0b', '\ufeff']);
  expect(() => tensorToJson(strings(Uint8Array.of(0xff)))).toThrow(
    /element 0 is not valid UTF-8 text; JSON holds only text, so save it as \.npy/,
  );
});

test('v2 JSON requests keep BYTES exactly: text as JSON (a leading U+FEFF included), the rest as binary', () => {
  const text = strings(Uint8Array.of(0xef, 0xbb, 0xbf, 0x61), 'a\0b');
  const bytes = strings(Uint8Array.of(0xff), 'b');
  const body = encodeV2Request({
    inputs: [
      { name: 'text', tensor: text },
      { name: 'bytes', tensor: bytes },
    ],
    binaryInputs: false,
  });
  const json = new TextDecoder().decode(body.chunks[0]!.subarray(0, body.headerLength));
  expect(json).toContain('"data":["\ufeffa","a\\u0000b"]');
  expect(json).toContain('"name":"bytes","datatype":"BYTES","shape":[2],"parameters":{"binary_data_size":10}');
  const back = decodeV2Request(new Uint8Array(Buffer.concat(body.chunks)), String(body.headerLength));
  if (back.kind !== 'infer') throw new Error('expected an infer request');
  expect(back.inputs.map((i) => byteValues(i.tensor as TensorOf<'string'>).map(hex))).toEqual([
    ['efbbbf61', '610062'],
    ['ff', '62'],
  ]);
});
