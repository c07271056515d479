// A remote member passes String elements on as bytes: whatever the caller sent (invalid UTF-8,
// NUL, a leading BOM, empty, 64 KiB) reaches the upstream model and comes back exactly, whichever
// protocol the member and its caller speak.
import { byteValues, RemoteModel, type TensorOf, tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createPipelineBackend, createRemoteBackend } from '../src/index.js';
import { start } from './helpers.js';

const utf8 = new TextEncoder();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const upstreamEcho = createFunctionBackend(({ input0 }) => input0!, { name: 'echo' });

const EDGES = [
  Uint8Array.of(0xff, 0xfe),
  utf8.encode('a\0b'),
  Uint8Array.of(0xef, 0xbb, 0xbf, 0x78),
  new Uint8Array(0),
  Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 31) % 256),
];

const elementsArb = fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(...EDGES)), {
  minLength: 1,
  maxLength: 5,
});

describe.each([
  ['GraphPipe', { protocol: 'graphpipe' }],
  ['v2', { protocol: 'v2', model: 'echo' }],
] as const)('a remote member over %s', (_label, memberOptions) => {
  test('returns any bytes exactly, to callers over both protocols', async () => {
    const upstream = await start(upstreamEcho);
    const remote = await createRemoteBackend(upstream.url, { ...memberOptions, name: 'gateway' });
    // A pipeline of the remote member, as compositions use it.
    const gateway = await start(
      createPipelineBackend({ name: 'gateway', stages: [{ name: 'remote', backend: remote }] }),
    );
    const callers = [
      new RemoteModel(gateway.url),
      new RemoteModel(gateway.url, { protocol: 'v2', model: 'gateway' }),
      new RemoteModel(gateway.url, { protocol: 'v2', model: 'gateway', encoding: 'json' }),
    ];
    await fc.assert(
      fc.asyncProperty(elementsArb, fc.constantFrom(...callers), async (elements, caller) => {
        const { outputs } = await caller.infer([tensor(elements, [elements.length])]);
        expect(byteValues(outputs[0] as TensorOf<'string'>).map(hex)).toEqual(elements.map(hex));
      }),
      // Every caller once with the elements a lossy or BOM-eating decode would change.
      { numRuns: 20, examples: callers.map((caller) => [EDGES, caller] as [Uint8Array[], RemoteModel]) },
    );
  });
});
