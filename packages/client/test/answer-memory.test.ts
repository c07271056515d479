/**
 * Where answers land: fresh memory per call by default, the previous answer's memory with
 * `reuse`, a caller's buffer with `into`. Against real servers on loopback (a GraphPipe echo and
 * an Open Inference Protocol echo) with answers large enough to be read in place (>= 64 KiB),
 * over fetch and over node:http (nodeHttpTransport).
 */
import { decodeRequest, encodeInferResponse, RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import { nodeHttpTransport } from '@graphpipe/client/node';
import { describe, expect, test } from 'vitest';
import { reply, replyV2Echo, useRawServers } from './helpers.js';

const start = useRawServers();

/** Echoes inputs as outputs, over GraphPipe at / and over v2 at /v2/models/echo/infer. */
const echoServer = () =>
  start((req, res) => {
    if (req.url === '/v2/models/echo/infer') return replyV2Echo(req, res);
    const request = decodeRequest(req.body);
    if (request.kind !== 'infer') throw new Error('expected an inference request');
    const body = encodeInferResponse({ outputs: request.inputs });
    reply(res, body, 200, { 'content-length': body.length });
  });

/** Whether two tensors lie in the same memory (not toBe: a failure would print both buffers). */
const sameMemory = (a: Tensor, b: Tensor | Uint8Array) => floats(a).buffer === ('data' in b ? floats(b) : b).buffer;

const floats = (t: Tensor) => t.data as Float32Array;

const ELEMENTS = 64 * 1024; // 256 KiB of float32 per answer

/** A large input whose values all derive from `seed`, so two calls' answers differ everywhere. */
const input = (seed: number) =>
  tensor(
    Float32Array.from({ length: ELEMENTS }, (_, i) => seed * 1e6 + i),
    [ELEMENTS],
  );

/** The answer's values are those of `seed`'s input, checked at every element. */
function expectSeed(t: Tensor, seed: number): void {
  const data = floats(t);
  expect(data.length).toBe(ELEMENTS);
  const wrong = data.findIndex((v, i) => v !== seed * 1e6 + i);
  expect(wrong, `element ${wrong} is ${data[wrong]}, not ${seed * 1e6 + wrong}`).toBe(-1);
}

const call = (model: RemoteModel, seed: number, into?: Uint8Array) =>
  model.infer(input(seed), { inputNames: ['x'], outputNames: ['x'], into }).then((r) => r.outputs[0]!);

const CASES = (['graphpipe', 'v2'] as const).flatMap((protocol) =>
  (['fetch', 'node:http'] as const).map((transport) => [protocol, transport] as const),
);

describe.each(CASES)('answer memory over %s, %s', (protocol, transport) => {
  const modelAt = (url: string, reuse?: boolean) =>
    new RemoteModel(protocol === 'v2' ? `${url}/v2/models/echo` : url, {
      reuse,
      ...(transport === 'node:http' ? { transport: nodeHttpTransport() } : {}),
    });

  test('without reuse, every answer has memory of its own: a later call never overwrites it', async () => {
    const model = modelAt((await echoServer()).url);
    const first = await call(model, 1);
    const second = await call(model, 2);
    const third = await call(model, 3);
    expectSeed(first, 1);
    expectSeed(second, 2);
    expectSeed(third, 3);
    expect(sameMemory(second, first)).toBe(false);
  });

  test('with reuse, an answer lies in the previous answer’s memory and is overwritten by the next call', async () => {
    const model = modelAt((await echoServer()).url, true);
    const first = await call(model, 1);
    expectSeed(first, 1);
    const second = await call(model, 2);
    expectSeed(second, 2);
    // The first answer's tensor now shows the second answer: its memory was reused.
    expect(sameMemory(second, first)).toBe(true);
    expectSeed(first, 2);
    const third = await call(model, 3);
    expectSeed(second, 3);
    expectSeed(third, 3);
  });

  test('with reuse, concurrent calls never share memory', async () => {
    const model = modelAt((await echoServer()).url, true);
    await call(model, 0);
    const answers = await Promise.all([1, 2, 3, 4].map((seed) => call(model, seed)));
    answers.forEach((t, i) => expectSeed(t, i + 1));
    expect(new Set(answers.map((t) => floats(t).buffer)).size === 4).toBe(true);
  });

  test('into: the answer lands in the caller’s buffer when it fits, else in fresh memory', async () => {
    const model = modelAt((await echoServer()).url, true);
    const memory = new Uint8Array(ELEMENTS * 4 + 64 * 1024);
    const landed = await call(model, 1, memory.subarray(3));
    expectSeed(landed, 1);
    expect(sameMemory(landed, memory)).toBe(true);
    expect(floats(landed).byteOffset % 8).toBe(0);

    const small = new Uint8Array(1024).fill(7);
    const fresh = await call(model, 2, small);
    expectSeed(fresh, 2);
    expect(sameMemory(fresh, small)).toBe(false);
    expect(small.every((b) => b === 7)).toBe(true);
    // The caller's memory is the caller's: reuse did not keep it for the next call.
    await call(model, 3);
    expectSeed(landed, 1);
  });
});
