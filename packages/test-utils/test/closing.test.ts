import { afterAll, describe, expect, test } from 'vitest';
import { closeAfter } from '../src/index.js';

const closed: string[] = [];

describe('after each test', () => {
  const closing = closeAfter('each');
  test('hands back what it is given, still open', () => {
    const handle = { close: async () => void closed.push('each') };
    expect(closing(handle)).toBe(handle);
    expect(closed).toEqual([]);
  });
  test('closed it once the previous test ended', () => {
    expect(closed).toEqual(['each']);
  });
});

describe('after all tests', () => {
  const closing = closeAfter('all');
  test('keeps it open across tests', () => {
    closing({ close: () => void closed.push('all') });
  });
  test('still open', () => {
    expect(closed).toEqual(['each']);
  });
  afterAll(() => {
    // Hooks run in reverse order of registration, so closeAfter's afterAll has not run yet.
    expect(closed).toEqual(['each']);
  });
});

test('the describe block closed its handle when it ended', () => {
  expect(closed).toEqual(['each', 'all']);
});
