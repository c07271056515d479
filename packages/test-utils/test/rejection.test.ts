import { expect, test } from 'vitest';
import { rejection } from '../src/index.js';

test('rejection gives what the promise rejected with', async () => {
  const err = new RangeError('out of range');
  expect(await rejection(Promise.reject(err))).toBe(err);
  expect(await rejection(Promise.reject('a string'))).toBe('a string');
});

test('rejection fails when the promise fulfils, naming the value', async () => {
  await expect(rejection(Promise.resolve(42))).rejects.toThrow('expected a rejection, but it fulfilled with 42');
});
