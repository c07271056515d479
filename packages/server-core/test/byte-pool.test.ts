import { expect, test } from 'vitest';
import { SMALL_BYTES, smallBytes, writeSmall } from '../src/http/byte-pool.js';

test('small buffers are 8-aligned, zeroed, and never share bytes', () => {
  const taken = Array.from({ length: 2000 }, (_, i) => smallBytes(1 + (i % 97)));
  for (const b of taken) {
    expect(b.byteOffset % 8).toBe(0);
    expect(b.every((x) => x === 0)).toBe(true);
    b.fill(0xff);
  }
  // Filling each one left every other one as it was: no two overlap.
  const sameSlab = new Map<ArrayBufferLike, [number, number][]>();
  for (const b of taken) {
    const spans = sameSlab.get(b.buffer) ?? [];
    spans.push([b.byteOffset, b.byteOffset + b.length]);
    sameSlab.set(b.buffer, spans);
  }
  for (const spans of sameSlab.values()) {
    spans.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  }
});

test('writeSmall keeps what the writer used, and leaves buffers it made itself alone', () => {
  const a = writeSmall((into) => {
    expect(into.length).toBeGreaterThanOrEqual(SMALL_BYTES);
    into.set([1, 2, 3]);
    return into.subarray(0, 3);
  });
  const b = smallBytes(8);
  expect(b.buffer === a.buffer ? b.byteOffset : 8).toBeGreaterThanOrEqual(a.byteOffset + 8);
  expect(Array.from(a)).toEqual([1, 2, 3]);
  const own = new Uint8Array(10);
  expect(writeSmall(() => own)).toBe(own);
});
