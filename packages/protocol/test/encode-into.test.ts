import { encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import { describe, expect, test } from 'vitest';

const inputs = [
  tensor(new Float64Array([1.5, -2, 3]), [3]),
  tensor(['a', 'bcd']),
  tensor(new Uint8Array([7, 8, 9, 10, 11]), [5]),
];

describe('encoding into a reused buffer', () => {
  test('gives the same bytes as a fresh buffer, whatever the buffer held before', () => {
    const fresh = encodeInferRequest({ inputs, inputNames: ['x', 'y', 'z'], config: 'c' });
    const dirty = new Uint8Array(fresh.length + 100).fill(0xab);
    const reused = encodeInferRequest({ inputs, inputNames: ['x', 'y', 'z'], config: 'c' }, { into: dirty });
    expect(reused.buffer).toBe(dirty.buffer);
    expect(Array.from(reused)).toEqual(Array.from(fresh));

    const response = encodeInferResponse({ outputs: inputs });
    const again = encodeInferResponse({ outputs: inputs }, { into: dirty });
    expect(Array.from(again)).toEqual(Array.from(response));
  });

  test('falls back to a new buffer when the given one is too small or not 8-aligned', () => {
    const size = encodeInferRequest({ inputs }).length;
    const small = new Uint8Array(size - 1);
    expect(encodeInferRequest({ inputs }, { into: small }).buffer).not.toBe(small.buffer);
    const misaligned = new Uint8Array(new ArrayBuffer(size + 8), 4);
    expect(encodeInferRequest({ inputs }, { into: misaligned }).buffer).not.toBe(misaligned.buffer);
  });
});
