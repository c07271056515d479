import { type Tensor, tensor } from '@graphpipe/protocol';
import { createFunctionBackend } from '@graphpipe/server-core';
import { backendConformanceCases } from '@graphpipe/server-core/testing';
import { describe, expect, test } from 'vitest';

const affine = () =>
  createFunctionBackend(
    ({ x }) => {
      const data = (x as Tensor & { dtype: 'float32' }).data;
      return {
        y: tensor(
          data.map((v) => 2 * v + 1),
          x!.shape,
        ),
        sum: tensor(new Float32Array([data.reduce((a, b) => a + b, 0)]), [1]),
      };
    },
    {
      name: 'affine',
      inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 3] }],
      outputs: [
        { name: 'y', dtype: 'float32', shape: [-1, 3] },
        { name: 'sum', dtype: 'float32', shape: [1] },
      ],
    },
  );

describe('backend conformance: function backend', () => {
  for (const c of backendConformanceCases(affine)) test(c.name, c.run);
});

/** Inputs named like Object.prototype members, which the suite must send like any other name. */
const OUTPUT_FOR = new Map([
  ['__proto__', 'toString'],
  ['constructor', 'hasOwnProperty'],
]);
const prototypeNames = () =>
  createFunctionBackend(
    (inputs) => Object.fromEntries(Object.entries(inputs).map(([name, t]) => [OUTPUT_FOR.get(name)!, t])),
    {
      inputs: [
        { name: '__proto__', dtype: 'float32', shape: [-1] },
        { name: 'constructor', dtype: 'int32', shape: [2] },
      ],
      outputs: [
        { name: 'toString', dtype: 'float32', shape: [-1] },
        { name: 'hasOwnProperty', dtype: 'int32', shape: [2] },
      ],
    },
  );

describe('backend conformance: inputs called __proto__ and constructor', () => {
  for (const c of backendConformanceCases(prototypeNames)) test(c.name, c.run);
});

describe('backend conformance suite catches broken backends', () => {
  const cases = (make: Parameters<typeof backendConformanceCases>[0]) =>
    Object.fromEntries(backendConformanceCases(make).map((c) => [c.name, c.run]));

  test('an output of the wrong dtype fails', async () => {
    const broken = () =>
      createFunctionBackend(
        ({ x }) => ({ y: tensor(new Float64Array(x!.data.length), x!.shape), sum: tensor(new Float32Array(1), [1]) }),
        {
          inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 3] }],
          outputs: [
            { name: 'y', dtype: 'float32', shape: [-1, 3] },
            { name: 'sum', dtype: 'float32', shape: [1] },
          ],
        },
      );
    await expect(cases(broken)['returns every default output with its declared dtype and shape']!()).rejects.toThrow(
      /must be float32/,
    );
  });

  test('a nondeterministic backend fails', async () => {
    let n = 0;
    const flaky = () =>
      createFunctionBackend(() => tensor(new Float32Array([n++]), [1]), {
        inputs: [{ name: 'x', dtype: 'float32', shape: [1] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: [1] }],
      });
    await expect(cases(flaky)['is deterministic for the same input']!()).rejects.toThrow(/differs/);
  });
});

describe('a case that checks nothing is reported as skipped, never passed', () => {
  const DTYPE_CASE = 'rejects a wrong dtype with 400 before running';
  const find = (cases: ReturnType<typeof backendConformanceCases>, name: string) => cases.find((c) => c.name === name)!;
  /** A runner's test context that records what it was told to skip. */
  const recorder = () => {
    const reasons: string[] = [];
    return { reasons, context: { skip: (reason: string) => void reasons.push(reason) } };
  };

  test('a case named in options.skip carries its reason and reports it, without making a backend', async () => {
    let made = 0;
    const make = () => {
      made++;
      return affine();
    };
    const c = find(backendConformanceCases(make, { skip: { [DTYPE_CASE]: 'a reason' } }), DTYPE_CASE);
    expect(c.skip).toBe('a reason');
    const { reasons, context } = recorder();
    await c.run(context);
    expect(reasons).toEqual(['a reason']);
    await expect(c.run()).rejects.toThrow(`"${DTYPE_CASE}" checked nothing (a reason)`);
    expect(made).toBe(0);
  });

  test('the wrong-dtype case skips itself, saying why, when no input declares a dtype', async () => {
    const anyDType = () => createFunctionBackend(({ input0 }) => input0!);
    const cases = backendConformanceCases(anyDType, { sampleInputs: () => ({ input0: tensor(Float32Array.of(1)) }) });
    const c = find(cases, DTYPE_CASE);
    expect(c.skip).toBeUndefined();
    const { reasons, context } = recorder();
    await c.run(context);
    expect(reasons).toEqual(['no input declares a dtype, so the model takes any and none is wrong']);
    await expect(c.run()).rejects.toThrow(/checked nothing \(no input declares a dtype/);
    // The cases that can check something do, and tell no runner to skip.
    const others = recorder();
    for (const other of cases.filter((o) => o !== c)) await other.run(others.context);
    expect(others.reasons).toEqual([]);
  });
});
