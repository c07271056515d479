import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { createTfBackend } from '@graphpipe/backend-tf';
import type { Backend } from '@graphpipe/server-core';
import { importOptional } from '@graphpipe/server-core/node';
import { describe, expect, it } from 'vitest';
import {
  buildComposition,
  createArgmaxBackend,
  createEnsembleBackend,
  createPipelineBackend,
  defaultLoaders,
  loadComposition,
} from '../src/index.js';
import { floats, irisRows, start } from './helpers.js';
import { liveContext, modelPath } from '@graphpipe/test-utils';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;

describe('loadComposition', () => {
  it('builds from a YAML file the same ensemble as the code does', async () => {
    const fromFile = await loadComposition(fixture('iris-local.yaml'));
    const inCode = createPipelineBackend({
      name: 'iris-ensemble',
      stages: [
        {
          name: 'vote',
          backend: createEnsembleBackend({
            name: 'vote',
            members: {
              'onnx-iris': await createOnnxBackend(modelPath('iris-classifier.onnx')),
              'tf-iris': await createTfBackend(modelPath('tf-iris')),
            },
            combine: { probabilities: 'mean' },
          }),
        },
        { name: 'label', backend: createArgmaxBackend({ shape: [-1, 3] }) },
      ],
      returns: ['probabilities', 'label'],
    });
    expect(fromFile.metadata).toEqual(inCode.metadata);
    const { features } = irisRows(8);
    const [a, b] = await Promise.all(
      [fromFile, inCode].map((m) => m.infer({ features }, ['probabilities', 'label'], liveContext())),
    );
    expect(floats(a!.probabilities!)).toEqual(floats(b!.probabilities!));
    expect(a!.label).toEqual(b!.label);
    await Promise.all([fromFile.close!(), inCode.close!()]);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: ${VAR} is the composition syntax under test
  it('fills ${VARS} into remote URLs, and names the stage URL in errors', async () => {
    const onnx = await start(await createOnnxBackend(modelPath('iris-classifier.onnx')));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the composition's own ${VAR} syntax
    const config = { name: 'gateway', stages: [{ name: 'iris', remote: '${IRIS_URL}' }] };
    const gateway = await buildComposition(config, defaultLoaders, { vars: { IRIS_URL: onnx.url } });
    expect(gateway.metadata).toMatchObject({
      name: 'gateway',
      outputs: [{ name: 'probabilities' }, { name: 'label' }],
    });
    await onnx.close();
    await expect(gateway.infer({ features: irisRows(1).features }, ['label'], liveContext())).rejects.toMatchObject({
      status: 503,
      message: expect.stringContaining(`stage 'iris' (${onnx.url}) failed`),
    });
    await expect(buildComposition(config, defaultLoaders, { vars: {} })).rejects.toThrow(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the composition's own ${VAR} syntax
      'the config uses ${IRIS_URL}, which is not set',
    );
  });

  it('says what is wrong with a config, where, and closes what it had already built', async () => {
    const closed: string[] = [];
    const fake = (name: string): Backend => ({
      metadata: { name, inputs: [{ name: 'x' }], outputs: [{ name: 'y' }] },
      infer: async (inputs) => ({ y: inputs.x! }),
      close: async () => {
        closed.push(name);
      },
    });
    const loaders = { fake: async (ref: string) => fake(ref) };
    await expect(buildComposition({ stages: [{ fake: 'a' }, { combine: 'mean' }] }, loaders)).rejects.toThrow(
      'composition.stages[1]: expected exactly one of stages, members, argmax or a model ({ fake: ... })',
    );
    expect(closed).toEqual(['a']);
    await expect(buildComposition({ members: { a: { fake: 'a' } }, combine: 'median' }, loaders)).rejects.toThrow(
      'composition.combine: expected one of mean, sum, max, min, concat, got "median"',
    );

    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    writeFileSync(
      join(dir, 'c.json'),
      JSON.stringify({ members: { a: { fake: 'a' }, b: { fake: 'b' } }, combine: 'max' }),
    );
    expect((await loadComposition(join(dir, 'c.json'), loaders)).metadata.outputs).toEqual([
      { name: 'y', dtype: undefined, shape: undefined },
    ]);
  });

  it('names the package to install when a backend package is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package '@graphpipe/backend-onnx'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    await expect(
      importOptional('@graphpipe/backend-onnx', () => Promise.reject(missing), 'this composition'),
    ).rejects.toThrow(
      'this composition needs @graphpipe/backend-onnx; install it (npm install @graphpipe/backend-onnx)',
    );
    const broken = new SyntaxError('Unexpected token');
    await expect(
      importOptional('@graphpipe/backend-onnx', () => Promise.reject(broken), 'this composition'),
    ).rejects.toBe(broken);
  });
});
