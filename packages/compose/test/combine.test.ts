import { type Tensor, tensor } from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, it } from 'vitest';
import { type CombineName, createArgmaxBackend, createEnsembleBackend } from '../src/index.js';
import { liveContext } from '@graphpipe/test-utils';

/** An ensemble of constant members, to see what each rule makes of their answers. */
async function combined(rule: CombineName, answers: Tensor[]) {
  const members = Object.fromEntries(
    answers.map((t, i) => [
      `m${i}`,
      createFunctionBackend(() => t, { outputs: [{ name: 'y', dtype: t.dtype, shape: t.shape.map(() => -1) }] }),
    ]),
  );
  const ensemble = createEnsembleBackend({ name: 'e', members, combine: rule });
  const { y } = await ensemble.infer({ input0: tensor(Float32Array.of(0)) }, ['y'], liveContext());
  return { y: y!, spec: ensemble.metadata.outputs[0]! };
}

describe('built-in combine rules', () => {
  const a = tensor(Float32Array.of(1, 5, 2, 8), [2, 2]);
  const b = tensor(Float32Array.of(3, 1, 2, 0), [2, 2]);

  it('mean, sum, max and min work element by element', async () => {
    expect(Array.from((await combined('mean', [a, b])).y.data as Float32Array)).toEqual([2, 3, 2, 4]);
    expect(Array.from((await combined('sum', [a, b])).y.data as Float32Array)).toEqual([4, 6, 4, 8]);
    expect(Array.from((await combined('max', [a, b])).y.data as Float32Array)).toEqual([3, 5, 2, 8]);
    expect(Array.from((await combined('min', [a, b])).y.data as Float32Array)).toEqual([1, 1, 2, 0]);
  });

  it('sum and max work on int64 too', async () => {
    const big = [tensor(BigInt64Array.of(2n ** 60n, 1n)), tensor(BigInt64Array.of(1n, 7n))];
    expect(Array.from((await combined('sum', big)).y.data as BigInt64Array)).toEqual([2n ** 60n + 1n, 8n]);
    expect(Array.from((await combined('max', big)).y.data as BigInt64Array)).toEqual([2n ** 60n, 7n]);
  });

  it('concat joins along the last axis, members in order', async () => {
    const { y, spec } = await combined('concat', [a, tensor(Float32Array.of(9, 9), [2, 1])]);
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data as Float32Array)).toEqual([1, 5, 9, 2, 8, 9]);
    expect(spec).toMatchObject({ dtype: 'float32', shape: [-1, -1] });
  });

  it('fails with a 500 when members answer different shapes', async () => {
    await expect(combined('mean', [a, tensor(new Float32Array(6), [2, 3])])).rejects.toMatchObject({
      status: 500,
      message: 'members answered "y" with different dtypes or shapes: float32[2, 2] vs float32[2, 3]',
    });
  });
});

describe('createArgmaxBackend', () => {
  it('answers the index of the largest value along the last axis', async () => {
    const argmax = createArgmaxBackend({ dtype: 'int32', shape: [-1, 3] });
    expect(argmax.metadata.outputs).toEqual([{ name: 'label', dtype: 'int32', shape: [-1] }]);
    const { label } = await argmax.infer(
      { probabilities: tensor(Float32Array.of(0.1, 0.7, 0.2, 0.5, 0.2, 0.3), [2, 3]) },
      ['label'],
      liveContext(),
    );
    expect(label).toEqual({ dtype: 'int32', shape: [2], data: Int32Array.of(1, 0) });
  });
});
