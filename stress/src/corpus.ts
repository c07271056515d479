import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { encodeInferRequest, encodeMetadataRequest, tensor } from '@graphpipe/protocol';

const vectors = fileURLToPath(new URL('../../conformance/', import.meta.url));

/** Seed inputs: the original implementations' request vectors plus our own encodings. */
export function requestCorpus(): Uint8Array[] {
  const original = readdirSync(vectors)
    .filter((f) => f.endsWith('.bin') && (f.startsWith('sample_') || f.includes('req') || f.startsWith('request_')))
    .map((f) => new Uint8Array(readFileSync(vectors + f)));
  const ours = [
    encodeMetadataRequest(),
    encodeInferRequest({ inputs: [tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3])] }),
    encodeInferRequest({
      inputs: [tensor(new BigInt64Array([1n, -2n]), [2])],
      inputNames: ['input0'],
      outputNames: ['output0'],
      config: 'x',
    }),
    encodeInferRequest({ inputs: [tensor(['a', 'bc', 'def'], [3]), tensor(new Float64Array([0.5]), [])] }),
    encodeInferRequest({ inputs: [tensor(new Uint8Array(64), [4, 4, 4])] }),
  ];
  return [...original, ...ours];
}
