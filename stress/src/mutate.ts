import { randomInt as int } from '@graphpipe/test-utils';

// Values that tend to break length and offset arithmetic.
const WORDS = [
  0, 1, 2, 3, 4, 7, 8, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff,
];

type Mutation = (input: Uint8Array, random: () => number) => Uint8Array;

const MUTATIONS: Record<string, Mutation> = {
  flipBits: (b, r) => {
    const out = b.slice();
    for (let n = 1 + int(r, 8); n > 0 && out.length; n--) out[int(r, out.length)]! ^= 1 << int(r, 8);
    return out;
  },
  setByte: (b, r) => {
    const out = b.slice();
    if (out.length) out[int(r, out.length)] = [0, 1, 0x7f, 0x80, 0xff][int(r, 5)]!;
    return out;
  },
  setWord: (b, r) => {
    const out = b.slice();
    if (out.length >= 4) {
      // Mostly 4-aligned, where flatbuffers keeps its offsets and lengths.
      const at = r() < 0.8 ? int(r, out.length >> 2) << 2 : int(r, out.length - 3);
      new DataView(out.buffer).setUint32(Math.min(at, out.length - 4), WORDS[int(r, WORDS.length)]!, true);
    }
    return out;
  },
  setLong: (b, r) => {
    const out = b.slice();
    if (out.length >= 8) {
      const at = int(r, (out.length - 8) >> 3) << 3;
      new DataView(out.buffer).setBigInt64(
        at,
        [-1n, 0n, 2n ** 31n, 2n ** 40n, 2n ** 53n, 2n ** 62n, -(2n ** 63n)][int(r, 7)]!,
        true,
      );
    }
    return out;
  },
  truncate: (b, r) => b.slice(0, int(r, b.length)),
  extend: (b, r) => {
    const out = new Uint8Array(b.length + 1 + int(r, 64));
    out.set(b);
    for (let i = b.length; i < out.length; i++) out[i] = int(r, 256);
    return out;
  },
  deleteRange: (b, r) => {
    const at = int(r, b.length);
    const n = 1 + int(r, 16);
    return new Uint8Array([...b.subarray(0, at), ...b.subarray(at + n)]);
  },
  duplicateRange: (b, r) => {
    const at = int(r, b.length);
    const n = 1 + int(r, 32);
    return new Uint8Array([...b.subarray(0, at + n), ...b.subarray(at, at + n), ...b.subarray(at + n)]);
  },
  randomBytes: (_b, r) => {
    const out = new Uint8Array(int(r, 512));
    for (let i = 0; i < out.length; i++) out[i] = int(r, 256);
    return out;
  },
};

const NAMES = Object.keys(MUTATIONS);

/** One to three stacked mutations of a seed input, named so a failure can be described. */
export function mutate(input: Uint8Array, random: () => number): { bytes: Uint8Array; how: string } {
  let bytes = input;
  const steps: string[] = [];
  for (let n = 1 + int(random, 3); n > 0; n--) {
    const name = NAMES[int(random, NAMES.length)]!;
    bytes = MUTATIONS[name]!(bytes, random);
    steps.push(name);
  }
  return { bytes, how: steps.join('+') };
}
