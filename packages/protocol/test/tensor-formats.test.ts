import { describe, expect, test } from 'vitest';
import {
  DTYPES,
  parseNpy,
  type Tensor,
  tensor,
  tensorFromJson,
  tensorToJson,
  toNpy,
  typedArrayFor,
} from '../src/index.js';

// A file as NumPy 1.x writes `np.arange(6, dtype='<f8').reshape(2, 3)` (header padded to 64 bytes).
function numpyFile(descr: string, shape: string, body: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - 10 - 1)}\n`;
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, total);
  return out;
}

describe('.npy', () => {
  test('reads a NumPy float64 matrix', () => {
    const t = parseNpy(numpyFile('<f8', '(2, 3)', new Uint8Array(new Float64Array([0, 1, 2, 3, 4, 5]).buffer)));
    expect(t.dtype).toBe('float64');
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data as Float64Array)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('reads scalars and unicode string arrays', () => {
    expect(parseNpy(numpyFile('<i4', '()', new Uint8Array(new Int32Array([7]).buffer)))).toMatchObject({
      dtype: 'int32',
      shape: [],
    });
    const text = new Uint32Array([0x68, 0x69, 0, 0x1f600, 0, 0]); // 'hi', '😀' as <U3... of width 3
    const strings = parseNpy(numpyFile('<U3', '(2,)', new Uint8Array(text.buffer)));
    expect((strings.data as Uint8Array[]).map((b) => new TextDecoder().decode(b))).toEqual(['hi', '😀']);
  });

  test('every numeric dtype and byte strings round-trip', () => {
    for (const dtype of DTYPES) {
      let t: Tensor;
      if (dtype === 'string') t = tensor([new Uint8Array([0xff, 0, 0x61]), new Uint8Array([1, 2, 3])]);
      else {
        const data = new (typedArrayFor(dtype))(6);
        for (let i = 0; i < 6; i++) (data as unknown as unknown[])[i] = typeof data[0] === 'bigint' ? BigInt(i) : i;
        t = tensor(data, [3, 2], dtype);
      }
      const back = parseNpy(toNpy(t));
      expect(back.shape, dtype).toEqual(t.shape);
      if (dtype === 'string')
        expect((back.data as Uint8Array[]).map((b) => [...b])).toEqual([
          [0xff, 0, 0x61],
          [1, 2, 3],
        ]);
      else
        expect([back.dtype === 'float16' || back.dtype === 'uint16' ? back.data : back.data].map(String)).toEqual(
          [t.data].map(String),
        );
    }
  });

  test("a byte string's own NULs stay, inside it; one ending in NUL is refused, not cut", () => {
    // NumPy pads bytes_ cells with NULs and strips trailing ones only.
    const t = tensor([new Uint8Array([0, 0x61, 0, 0x62]), new Uint8Array([])]);
    expect((parseNpy(toNpy(t)).data as Uint8Array[]).map((b) => [...b])).toEqual([[0, 0x61, 0, 0x62], []]);
    expect(() => toNpy(tensor([new Uint8Array([1]), new Uint8Array([0x61, 0])]))).toThrow(
      /String element 1 ends in a NUL byte/,
    );
  });

  test('bool arrays read and write as bool tensors', () => {
    const t = parseNpy(numpyFile('|b1', '(3,)', new Uint8Array([1, 0, 1])));
    expect(t).toEqual(tensor(new Uint8Array([1, 0, 1]), [3], 'bool'));
    expect(parseNpy(toNpy(t))).toEqual(t);
  });

  test('rejects what it cannot read with a clear message', () => {
    expect(() => parseNpy(new Uint8Array(20))).toThrow(/not a .npy file/);
    expect(() => parseNpy(numpyFile('>f4', '(1,)', new Uint8Array(4)))).toThrow(/unsupported .npy dtype '>f4'/);
    expect(() => parseNpy(numpyFile('<f4', '(4,)', new Uint8Array(4)))).toThrow(/needs 16/);
  });
});

describe('JSON tensors', () => {
  test('booleans make bool tensors, nested or with an explicit dtype', () => {
    expect(tensorFromJson([[true, false]])).toEqual(tensor(new Uint8Array([1, 0]), [1, 2], 'bool'));
    expect(tensorFromJson({ dtype: 'bool', data: [1, 0, true] })).toEqual(
      tensor(new Uint8Array([1, 0, 1]), [3], 'bool'),
    );
    expect(() => tensorFromJson({ dtype: 'bool', data: [2] })).toThrow(/element 0 is not true, false, 0 or 1/);
  });

  test('nested arrays are float32 with the nesting as shape; strings make String tensors', () => {
    expect(
      tensorFromJson([
        [1, 2],
        [3, 4],
      ]),
    ).toMatchObject({ dtype: 'float32', shape: [2, 2] });
    expect(tensorFromJson(['a', 'b'])).toMatchObject({ dtype: 'string', shape: [2] });
  });

  test('explicit dtype and shape, with 64-bit integers exact', () => {
    const t = tensorFromJson({ dtype: 'int64', shape: [2], data: ['9007199254740993', 2] });
    expect(Array.from(t.data as BigInt64Array)).toEqual([9007199254740993n, 2n]);
    expect(() => tensorFromJson({ dtype: 'float32', shape: [3], data: [1, 2] })).toThrow(/needs 3 elements/);
    expect(() => tensorFromJson({ dtype: 'complex', data: [1] })).toThrow(/unknown dtype/);
  });
});

describe('JSON tensors with a declared dtype', () => {
  test('a nested array takes the dtype it is given', () => {
    const ids = tensorFromJson([[1, 2]], 'int64');
    expect(ids).toMatchObject({ dtype: 'int64', shape: [1, 2] });
    expect(Array.from(ids.data as BigInt64Array)).toEqual([1n, 2n]);
    expect(tensorFromJson([1, 2], 'string')).toMatchObject({ dtype: 'string', shape: [2] });
  });

  test('what is not a number says which element', () => {
    expect(() => tensorFromJson([1, 'x'], 'float32')).toThrow(/element 1 is not a number: "x"/);
    expect(() => tensorFromJson([1.5], 'int64')).toThrow(/element 0 is not a whole number/);
  });

  test('tensorToJson is read back exactly, 64-bit integers included', () => {
    const t = tensor(new BigInt64Array([9007199254740993n, -1n]), [2, 1]);
    const json = JSON.parse(JSON.stringify(tensorToJson(t)));
    expect(json).toEqual({ dtype: 'int64', shape: [2, 1], data: ['9007199254740993', '-1'] });
    expect(tensorFromJson(json)).toEqual(t);
  });
});
