import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteModel } from '@graphpipe/client';
import {
  decodeRequest,
  encodeMetadataResponse,
  GraphPipeError,
  utf8Values,
  type Tensor,
  tensor,
} from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';
import { backendConformanceCases } from '@graphpipe/server-core/testing';
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { describe, expect, it, test } from 'vitest';
import { createRemoteBackend } from '../src/index.js';
import { aborted, start } from './helpers.js';
import { rejection, liveContext, modelPath } from '@graphpipe/test-utils';

/** Echoes the config and its inputs back, so the test can see what reached the upstream. */
const echo = createFunctionBackend(
  (inputs, { config }) => ({ config: tensor([config], [1]), a2: inputs.a!, b2: inputs.b! }),
  {
    name: 'echo',
    version: '7',
    inputs: [
      { name: 'a', dtype: 'float32', shape: [-1, 2] },
      { name: 'b', description: 'any dtype' },
    ],
    outputs: [
      { name: 'config', dtype: 'string', shape: [1] },
      { name: 'a2', dtype: 'float32', shape: [-1, 2] },
      { name: 'b2' },
    ],
  },
);

describe('createRemoteBackend', () => {
  it('declares what the upstream declares; an undeclared dtype stays open', async () => {
    const upstream = await start(echo);
    const remote = await createRemoteBackend(upstream.url);
    expect(remote.url).toBe(upstream.url);
    expect(remote.metadata).toMatchObject({
      name: 'echo',
      version: '7',
      inputs: [
        { name: 'a', dtype: 'float32', shape: [-1, 2] },
        { name: 'b', description: 'any dtype', dtype: undefined, shape: undefined },
      ],
      outputs: [{ name: 'config', dtype: 'string', shape: [1] }, { name: 'a2' }, { name: 'b2', dtype: undefined }],
    });
  });

  it('forwards config, input and output names, and dtypes unchanged through a gateway', async () => {
    const upstream = await start(echo);
    const gateway = await start(await createRemoteBackend(upstream.url, { name: 'gateway' }));
    const client = new RemoteModel(gateway.url);
    expect((await client.metadata()).name).toBe('gateway');
    const a = tensor(Float32Array.of(1, 2, 3, 4), [2, 2]);
    const b = tensor(BigInt64Array.of(-5n, 2n ** 40n), [2]);
    const { byName } = await client.infer(
      { b, a },
      { outputNames: ['b2', 'config', 'a2'], config: 'temperature=0.5;ü' },
    );
    expect(utf8Values(byName.config as Tensor & { dtype: 'string' }, 'output')).toEqual(['temperature=0.5;ü']);
    expect(byName.a2).toMatchObject({ dtype: 'float32', shape: [2, 2] });
    expect(Array.from(byName.a2!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(byName.b2).toMatchObject({ dtype: 'int64', shape: [2] });
    expect(Array.from(byName.b2!.data as BigInt64Array)).toEqual([-5n, 2n ** 40n]);
  });

  it("keeps the upstream's 4xx as the caller's fault with its message", async () => {
    const picky = createFunctionBackend(() => {
      throw new GraphPipeError('INVALID_ARGUMENT', 'petal length must be positive');
    });
    const remote = await createRemoteBackend((await start(picky)).url);
    const err = await rejection(remote.infer({ input0: tensor(Float32Array.of(-1)) }, ['output0'], liveContext()));
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', status: 400 });
    expect((err as Error).message).toContain('petal length must be positive');
  });

  it("keeps a tensor the upstream cannot read (past its decode limits) the caller's 400", async () => {
    const remote = await createRemoteBackend((await start(echo, { decodeLimits: { maxRank: 2 } })).url);
    const cube = tensor(new Float32Array(8), [2, 2, 2]);
    const err = await rejection(remote.infer({ a: cube, b: cube }, ['b2'], liveContext()));
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', status: 400 });
    expect((err as Error).message).toContain('over the limit of 2');
  });

  it('answers 502 when the upstream answers with bytes that are not GraphPipe', async () => {
    // Metadata as GraphPipe, inferences as an HTML page (a proxy's error page, say).
    const halfBroken = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (decodeRequest(new Uint8Array(Buffer.concat(chunks))).kind === 'metadata') {
          res.end(encodeMetadataResponse({ name: 'half-broken', inputs: [{ name: 'a' }], outputs: [{ name: 'b' }] }));
        } else res.end('<!doctype html><p>welcome</p>');
      });
    });
    await new Promise<void>((resolve) => halfBroken.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(halfBroken.address() as AddressInfo).port}`;
      const remote = await createRemoteBackend(url);
      const err = await rejection(remote.infer({ a: tensor(Float32Array.of(1)) }, ['b'], liveContext()));
      expect(err).toMatchObject({ code: 'UPSTREAM', status: 502 });
      expect((err as Error).message).toContain(`${url} sent an answer that is not a GraphPipe message`);
    } finally {
      await new Promise<void>((resolve) => halfBroken.close(() => resolve()));
    }
  });

  it('answers 502 naming the URL when the upstream fails, 503 when it is down, 504 past the deadline', async () => {
    const broken = await start(
      createFunctionBackend(() => {
        throw new Error('out of memory');
      }),
    );
    const remote = await createRemoteBackend(broken.url);
    const input = { input0: tensor(Float32Array.of(1)) };
    const failed = await rejection(remote.infer(input, ['output0'], liveContext()));
    expect(failed).toMatchObject({ code: 'UPSTREAM', status: 502 });
    expect((failed as Error).message).toContain(broken.url);
    expect((failed as Error).message).toContain('out of memory');

    await broken.close();
    const down = await rejection(remote.infer(input, ['output0'], liveContext()));
    expect(down).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect((down as Error).message).toContain(broken.url);
    await expect(createRemoteBackend(broken.url)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining(broken.url),
    });

    const slow = await start(
      createFunctionBackend(async (inputs, { signal }) => {
        await aborted(signal);
        return inputs.input0!;
      }),
    );
    const impatient = await createRemoteBackend(slow.url, { timeoutMs: 200 });
    await expect(impatient.infer(input, ['output0'], liveContext())).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      status: 504,
    });
  });

  it("cancels the upstream call when the gateway's caller goes away", async () => {
    let upstreamSignal: AbortSignal | undefined;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow = createFunctionBackend(async (inputs, { signal }) => {
      upstreamSignal = signal;
      started();
      await aborted(signal);
      return inputs.input0!;
    });
    const gateway = await start(await createRemoteBackend((await start(slow)).url));
    const caller = new AbortController();
    const request = new RemoteModel(gateway.url).infer(tensor(Float32Array.of(1)), { signal: caller.signal });
    await running;
    caller.abort();
    await expect(request).rejects.toMatchObject({ code: 'ABORTED' });
    await expect.poll(() => upstreamSignal?.aborted).toBe(true);
  });
});

describe('remote backend conformance (ONNX Iris upstream)', () => {
  for (const c of backendConformanceCases(async () =>
    createRemoteBackend((await start(await createOnnxBackend(modelPath('iris-classifier.onnx')))).url),
  )) {
    test(c.name, c.run);
  }
});
