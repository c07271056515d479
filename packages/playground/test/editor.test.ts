import { tensor } from '@graphpipe/client';
import { describe, expect, test } from 'vitest';
import { convertTo, exampleAt, formatTensor, InputError, parseInput, reshape, zerosFor } from '../src/editor.js';

const features = { name: 'features', dtype: 'float32' as const, shape: [-1, 4] };
const values = (t: { data: unknown }) => Array.from(t.data as ArrayLike<number | bigint>);

describe('reading what was typed', () => {
  test('nested JSON keeps its own shape, for the server to check', () => {
    const t = parseInput('[[5.1, 3.5, 1.4]]', features);
    expect(t).toMatchObject({ dtype: 'float32', shape: [1, 3] });
  });

  test('a flat list, in JSON or separated by commas, spaces or lines, is reshaped to the declared shape', () => {
    expect(parseInput('[1, 2, 3, 4, 5, 6, 7, 8]', features).shape).toEqual([2, 4]);
    expect(parseInput('1, 2, 3, 4\n5 6 7 8', features).shape).toEqual([2, 4]);
    expect(parseInput('7', { name: 's', dtype: 'int64', shape: [] })).toMatchObject({ shape: [], dtype: 'int64' });
    expect(values(parseInput('1 2', { name: 'x', dtype: 'int64', shape: [-1] }))).toEqual([1n, 2n]);
  });

  test('a count that does not fit says what would', () => {
    expect(() => parseInput('1, 2, 3', features)).toThrow(
      new InputError('3 values do not fit [-1, 4]: give a multiple of 4 (4 per row)'),
    );
    expect(() => reshape(6, [2, 4])).toThrow('6 values do not fit [2, 4]: it takes exactly 8');
    expect(() => reshape(6, [-1, -1, 3])).toThrow(/2 free sizes, so a flat list cannot be reshaped to it/);
    expect(() => reshape(2, [])).toThrow('2 values given; the model takes one value (a scalar)');
  });

  test('what is not a number, or not JSON, is an InputError that says so', () => {
    expect(() => parseInput('[[1, "x", 3, 4]]', features)).toThrow(/element 1 is not a number/);
    expect(() => parseInput('[[1, 2', features)).toThrow(/^not valid JSON/);
    expect(() => parseInput('  ', features)).toThrow(/^no values/);
  });

  test('text inputs take one string a line', () => {
    const t = parseInput('hello\nworld', { name: 'words', dtype: 'string', shape: [-1] });
    expect(t).toMatchObject({ dtype: 'string', shape: [2], data: ['hello', 'world'] });
  });
});

describe('filling the editor', () => {
  test('floats are written as short as they read back the same; large integers quoted', () => {
    expect(formatTensor(tensor(new Float32Array([5.3, 0.1, 1e-7, 3]), [1, 4]))).toBe('[[5.3, 0.1, 1e-7, 3]]');
    expect(formatTensor(tensor(new BigInt64Array([1n, 9007199254740993n])))).toBe('[1, "9007199254740993"]');
    const round = parseInput(formatTensor(tensor(new BigInt64Array([9007199254740993n]))), {
      name: 'x',
      dtype: 'int64',
    });
    expect(values(round)).toEqual([9007199254740993n]);
  });

  test('examples are taken a row at a time, cycling; an unbatched one whole', () => {
    const rows = tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4]);
    expect(exampleAt(rows, features, 1)).toMatchObject({ tensor: { shape: [1, 4] }, count: 2 });
    expect(values(exampleAt(rows, features, 3).tensor)).toEqual([5, 6, 7, 8]);
    expect(exampleAt(rows, { name: 'x', shape: [2, 4] }, 1)).toMatchObject({ tensor: rows, count: 1 });
  });

  test('zeros take the declared shape, free sizes as 1', () => {
    expect(zerosFor(features)).toMatchObject({ dtype: 'float32', shape: [1, 4] });
    expect(zerosFor({ name: 'any' })).toMatchObject({ dtype: 'float32', shape: [1] });
    expect(zerosFor({ name: 's', dtype: 'string', shape: [2] })).toMatchObject({ data: ['', ''] });
  });

  test('a file of another numeric dtype is converted; text and numbers do not mix', () => {
    const t = convertTo(tensor(new Float64Array([1.5, 2])), 'float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(() => convertTo(tensor(['a']), 'float32')).toThrow(
      'the file holds string values and the input takes float32',
    );
  });
});
