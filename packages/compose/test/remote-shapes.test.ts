/**
 * The wire tells a scalar (shape []) from a tensor of any rank (no shape): a remote backend
 * declares what its upstream declares, and a pipeline checks its links by it.
 */
import { RemoteModel } from '@graphpipe/client';
import { tensor } from '@graphpipe/protocol';
import { createFunctionBackend, type TensorSpec } from '@graphpipe/server-core';
import { describe, expect, it } from 'vitest';
import { createPipelineBackend, createRemoteBackend } from '../src/index.js';
import { floats, start } from './helpers.js';
import { liveContext } from '@graphpipe/test-utils';

/** Sums its rows into a scalar, and passes its input on as it came. */
const summer = createFunctionBackend(
  ({ rows }) => [tensor(Float32Array.of((rows!.data as Float32Array).reduce((a, b) => a + b, 0)), []), rows!],
  {
    name: 'summer',
    inputs: [{ name: 'rows', dtype: 'float32' }],
    outputs: [
      { name: 'total', dtype: 'float32', shape: [] },
      { name: 'same', dtype: 'float32' },
    ],
  },
);

/** A local stage that takes `input` declared as `shape` (undefined: any rank). */
const taking = (shape: number[] | undefined) =>
  createFunctionBackend(({ input }) => input!, {
    name: 'next',
    inputs: [{ name: 'input', dtype: 'float32', shape }],
    outputs: [{ name: 'output', dtype: 'float32', shape }],
  });

const spec = (specs: readonly TensorSpec[], name: string) => specs.find((io) => io.name === name)!;

describe('a remote backend and the shapes its upstream declares', () => {
  it('declares a scalar output as shape [] and an undeclared shape as open', async () => {
    const remote = await createRemoteBackend((await start(summer)).url);
    expect(spec(remote.metadata.outputs, 'total').shape).toEqual([]);
    expect(spec(remote.metadata.outputs, 'same').shape).toBeUndefined();
    expect(spec(remote.metadata.inputs, 'rows').shape).toBeUndefined();
  });

  it('keeps the scalar through a gateway, as a client of the gateway sees it', async () => {
    const gateway = await start(await createRemoteBackend((await start(summer)).url));
    const meta = await new RemoteModel(gateway.url).metadata();
    expect(spec(meta.outputs, 'total').shape).toEqual([]);
    expect(spec(meta.outputs, 'same').shape).toBeUndefined();
  });

  it('lets a pipeline refuse to feed the scalar to an input that wants a vector', async () => {
    const remote = await createRemoteBackend((await start(summer)).url);
    const link = (shape: number[] | undefined) =>
      createPipelineBackend({
        name: 'p',
        stages: [
          { name: 'sum', backend: remote },
          { name: 'next', backend: taking(shape), inputs: { input: 'total' } },
        ],
      });
    expect(() => link([-1])).toThrow(`stage 'next' input "input" cannot take "total": shape [] does not fit [-1]`);
    const scalar = link([]);
    const { output } = await scalar.infer({ rows: tensor(Float32Array.of(1, 2, 3.5), [3]) }, ['output'], liveContext());
    expect(output!.shape).toEqual([]);
    expect(floats(output!)).toEqual([6.5]);
  });

  it('lets a pipeline feed an undeclared shape to any input', async () => {
    const remote = await createRemoteBackend((await start(summer)).url);
    for (const shape of [[-1, 2], [], undefined]) {
      expect(() =>
        createPipelineBackend({
          name: 'p',
          stages: [
            { name: 'sum', backend: remote },
            { name: 'next', backend: taking(shape), inputs: { input: 'same' } },
          ],
        }),
      ).not.toThrow();
    }
  });
});
