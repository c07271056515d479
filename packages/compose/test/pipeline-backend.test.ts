import { GraphPipeError, tensor } from '@graphpipe/protocol';
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, it } from 'vitest';
import { createEnsembleBackend, createPipelineBackend } from '../src/index.js';
import { aborted, floats } from './helpers.js';
import { liveContext } from '@graphpipe/test-utils';

const f32 = (name: string, shape = [-1]) => ({ name, dtype: 'float32' as const, shape });

/** y = x * k, counting its calls. */
function scale(k: number, io = { input: 'x', output: 'y' }) {
  const backend = createFunctionBackend(
    (inputs) =>
      tensor(
        (inputs[io.input]!.data as Float32Array).map((v) => v * k),
        inputs[io.input]!.shape,
      ),
    { name: `times${k}`, inputs: [f32(io.input)], outputs: [f32(io.output)] },
  );
  const counted = { ...backend, calls: 0, closes: 0 };
  counted.infer = async (...args) => {
    counted.calls++;
    return backend.infer(...args);
  };
  counted.close = async () => {
    counted.closes++;
  };
  return counted;
}

describe('createPipelineBackend', () => {
  it('feeds named outputs to named inputs, by mapping or by the same name', async () => {
    const pipeline = createPipelineBackend({
      name: 'p',
      stages: [
        { name: 'double', backend: scale(2) },
        { name: 'triple', backend: scale(3), inputs: { x: 'y' }, outputs: { y: 'z' } },
        { name: 'negate', backend: scale(-1, { input: 'z', output: 'out' }) },
      ],
    });
    expect(pipeline.metadata.inputs).toEqual([f32('x')]);
    expect(pipeline.metadata.outputs).toEqual([f32('out')]);
    const { out } = await pipeline.infer({ x: tensor(Float32Array.of(1, 2)) }, ['out'], liveContext());
    expect(floats(out!)).toEqual([-6, -12]);
  });

  it('returns intermediate tensors when asked, and skips stages whose outputs nobody reads', async () => {
    const [double, triple] = [scale(2), scale(3, { input: 'y', output: 'z' })];
    const pipeline = createPipelineBackend({
      name: 'p',
      stages: [
        { name: 'a', backend: double },
        { name: 'b', backend: triple },
      ],
      returns: ['z', 'y'],
    });
    expect(pipeline.metadata.outputs.map((o) => o.name)).toEqual(['z', 'y']);
    const both = await pipeline.infer({ x: tensor(Float32Array.of(1)) }, ['z', 'y'], liveContext());
    expect([floats(both.z!), floats(both.y!)]).toEqual([[6], [2]]);
    await pipeline.infer({ x: tensor(Float32Array.of(1)) }, ['y'], liveContext());
    expect([double.calls, triple.calls]).toEqual([2, 1]);
  });

  it('refuses links that cannot work when it is built', () => {
    const ints = createFunctionBackend(() => tensor(Int32Array.of(1)), {
      inputs: [{ name: 'y', dtype: 'int32' }],
      outputs: [{ name: 'z' }],
    });
    expect(() =>
      createPipelineBackend({
        name: 'p',
        stages: [
          { name: 'a', backend: scale(2) },
          { name: 'b', backend: ints },
        ],
      }),
    ).toThrow(`stage 'b' input "y" cannot take "y": float32 is not int32`);
    expect(() =>
      createPipelineBackend({ name: 'p', stages: [{ name: 'a', backend: scale(2), inputs: { nope: 'x' } }] }),
    ).toThrow(`stage 'a' maps input "nope", which its model does not have`);
    expect(() =>
      createPipelineBackend({ name: 'p', stages: [{ name: 'a', backend: scale(2) }], returns: ['x'] }),
    ).toThrow('pipeline returns "x", which no stage produces');
  });

  it('names the failing stage and keeps the status class', async () => {
    const refuse = createFunctionBackend(
      () => {
        throw new GraphPipeError('INVALID_ARGUMENT', 'y is too large');
      },
      { inputs: [f32('y')], outputs: [f32('z')] },
    );
    const crash = createFunctionBackend(
      () => {
        throw new RangeError('bad index');
      },
      { inputs: [f32('y')], outputs: [f32('z')] },
    );
    const run = (backend: Backend) =>
      createPipelineBackend({
        name: 'p',
        stages: [
          { name: 'a', backend: scale(2) },
          { name: 'b', backend },
        ],
      }).infer({ x: tensor(Float32Array.of(1)) }, ['z'], liveContext());
    await expect(run(refuse)).rejects.toMatchObject({ status: 400, message: "stage 'b' failed: y is too large" });
    await expect(run(crash)).rejects.toMatchObject({ status: 500, message: "stage 'b' failed: bad index" });
  });

  it('closes each backend once, even one used by two stages', async () => {
    const shared = scale(2);
    const other = scale(3, { input: 'y', output: 'z' });
    const pipeline = createPipelineBackend({
      name: 'p',
      stages: [
        { name: 'a', backend: shared },
        { name: 'b', backend: createEnsembleBackend({ name: 'e', members: { o: other } }) },
        { name: 'c', backend: shared, inputs: { x: 'z' }, outputs: { y: 'w' } },
      ],
    });
    await pipeline.close!();
    expect([shared.closes, other.closes]).toEqual([1, 1]);
  });
});

describe('createEnsembleBackend', () => {
  it('cancels the other members as soon as one fails', async () => {
    let slowSignal: AbortSignal | undefined;
    const slow = createFunctionBackend(
      async (inputs, { signal }) => {
        slowSignal = signal;
        await aborted(signal);
        return inputs.x!;
      },
      { inputs: [f32('x')], outputs: [f32('y')] },
    );
    const failing = createFunctionBackend(
      () => {
        throw new GraphPipeError('UNAVAILABLE', 'down');
      },
      { inputs: [f32('x')], outputs: [f32('y')] },
    );
    const ensemble = createEnsembleBackend({ name: 'e', members: { slow, failing } });
    await expect(ensemble.infer({ x: tensor(Float32Array.of(1)) }, ['y'], liveContext())).rejects.toMatchObject({
      status: 503,
      message: "stage 'failing' failed: down",
    });
    expect(slowSignal?.aborted).toBe(true);
  });

  it('maps member inputs and outputs to shared names, and takes a custom combine', async () => {
    const a = scale(2, { input: 'features', output: 'scores' });
    const b = scale(4);
    const ensemble = createEnsembleBackend({
      name: 'e',
      members: { a, b: { backend: b, inputs: { x: 'features' }, outputs: { y: 'scores' } } },
      combine: (tensors) =>
        tensor(
          Float32Array.from(floats(tensors[0]!), (v, i) => Math.max(v, floats(tensors[1]!)[i]!) - 1),
          tensors[0]!.shape,
        ),
    });
    expect(ensemble.metadata).toMatchObject({ inputs: [f32('features')], outputs: [f32('scores')] });
    const { scores } = await ensemble.infer({ features: tensor(Float32Array.of(1, -1)) }, ['scores'], liveContext());
    expect(floats(scores!)).toEqual([3, -3]);
  });

  it('refuses members that cannot be combined when it is built', () => {
    const ints = createFunctionBackend(() => tensor(Int32Array.of(1)), {
      inputs: [f32('x')],
      outputs: [{ name: 'y', dtype: 'int32' }],
    });
    expect(() => createEnsembleBackend({ name: 'e', members: { a: scale(2), b: ints } })).toThrow(
      'members disagree on the dtype of "y": float32 vs int32',
    );
    expect(() => createEnsembleBackend({ name: 'e', members: { b: ints } })).toThrow(
      `'mean' needs float32 or float64 for output "y"`,
    );
    expect(() =>
      createEnsembleBackend({ name: 'e', members: { a: scale(2), b: scale(3, { input: 'x', output: 'q' }) } }),
    ).toThrow('no output in common');
  });
});

describe('a composition is named by the rule for model names', () => {
  it('refuses a pipeline or an ensemble named with a space, saying the rule', () => {
    const stage = { name: 'double', backend: scale(2) };
    const rule = 'invalid model name "my pipeline": use letters, digits, "_", "-" and "." (not only dots)';
    expect(() => createPipelineBackend({ name: 'my pipeline', stages: [stage] })).toThrow(rule);
    expect(() => createEnsembleBackend({ name: 'my pipeline', members: { a: scale(2) } })).toThrow(rule);
    expect(createPipelineBackend({ name: 'my_pipeline', stages: [stage] }).metadata.name).toBe('my_pipeline');
  });
});
