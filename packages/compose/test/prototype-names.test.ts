/**
 * Names in a composition (config keys, tensor names, ${VARS}) may be any string, including ones
 * that are Object.prototype members in JavaScript: each must act like any other name.
 */
import { type Tensor, tensor } from '@graphpipe/protocol';
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import { describe, expect, it } from 'vitest';
import { buildComposition, createEnsembleBackend, createPipelineBackend, createRemoteBackend } from '../src/index.js';
import { floats, start } from './helpers.js';
import { liveContext } from '@graphpipe/test-utils';

const f32 = (name: string) => ({ name, dtype: 'float32' as const, shape: [-1] });
const x = tensor(Float32Array.of(1, 2));

/** Answers each declared output with its input of the same position, scaled by k. */
function scaling(k: number, inputs: string[], outputs: string[]): Backend {
  return createFunctionBackend(
    (given) =>
      inputs.map((name) =>
        tensor(
          (given[name]!.data as Float32Array).map((v) => v * k),
          given[name]!.shape,
        ),
      ),
    { inputs: inputs.map(f32), outputs: outputs.map(f32) },
  );
}

describe('compositions with names that are Object.prototype members', () => {
  const built: string[] = [];
  const loaders = {
    fake: async (ref: string) => {
      built.push(ref);
      return scaling(Number(ref), ['x'], ['y']);
    },
  };

  it('an ensemble member called __proto__ is a member like any other', async () => {
    const config = JSON.parse('{"members": {"__proto__": {"fake": "2"}, "b": {"fake": "3"}}, "combine": "sum"}');
    const ensemble = await buildComposition(config, loaders);
    expect(floats((await ensemble.infer({ x }, ['y'], liveContext())).y!)).toEqual([5, 10]);
  });

  it('an entry key such as constructor or toString is not a kind of model', async () => {
    await expect(buildComposition({ constructor: '2' }, loaders)).rejects.toThrow(
      'composition: expected exactly one of stages, members, argmax or a model ({ fake: ... })',
    );
    const model = await buildComposition({ fake: '2', toString: 'a note' }, loaders);
    expect(floats((await model.infer({ x }, ['y'], liveContext())).y!)).toEqual([2, 4]);
  });

  it('a $-variable called toString is not set unless the variables set it', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the composition's own ${VAR} syntax
    await expect(buildComposition({ fake: '${toString}' }, loaders, { vars: {} })).rejects.toThrow(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the composition's own ${VAR} syntax
      'the config uses ${toString}, which is not set',
    );
  });

  it('a stage map renames only the names it lists', () => {
    const pipeline = createPipelineBackend({
      name: 'p',
      stages: [
        {
          name: 's',
          backend: scaling(1, ['x', 'toString'], ['y', 'constructor']),
          inputs: { x: 'a' },
          outputs: { y: 'b' },
        },
      ],
    });
    expect(pipeline.metadata.inputs.map((io) => io.name)).toEqual(['a', 'toString']);
    expect(pipeline.metadata.outputs.map((io) => io.name)).toEqual(['b', 'constructor']);
  });

  it('a stage that does not answer "constructor" fails the pipeline', async () => {
    const silent: Backend = {
      metadata: { name: 's', inputs: [f32('x')], outputs: [f32('constructor')] },
      infer: async () => ({}),
    };
    const pipeline = createPipelineBackend({ name: 'p', stages: [{ name: 's', backend: silent }] });
    await expect(pipeline.infer({ x }, ['constructor'], liveContext())).rejects.toThrow(
      `stage 's' returned no output "constructor"`,
    );
  });

  it('an ensemble answers an output called __proto__ under that key', async () => {
    const ensemble = createEnsembleBackend({
      name: 'e',
      members: { a: scaling(2, ['x'], ['__proto__']), b: scaling(3, ['x'], ['__proto__']) },
      combine: 'sum',
    });
    const summed = await ensemble.infer({ x }, ['__proto__'], liveContext());
    expect(Object.keys(summed)).toEqual(['__proto__']);
  });

  it('a remote model answers an output called __proto__ under that key', async () => {
    const server = await start(scaling(2, ['x'], ['__proto__']));
    const remote = await createRemoteBackend(server.url);
    const answer: Readonly<Record<string, Tensor>> = await remote.infer({ x }, ['__proto__'], liveContext());
    expect(Object.keys(answer)).toEqual(['__proto__']);
    expect(floats(Object.values(answer)[0]!)).toEqual([2, 4]);
  });
});
