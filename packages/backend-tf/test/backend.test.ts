import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { isGraphPipeError, type Tensor } from '@graphpipe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTfBackend, NATIVE_HINT, type TfBackend } from '../src/index.js';
import { artifactsOf, float32, tfGraphWith } from './helpers.js';
import { modelPath, rejection, liveContext } from '@graphpipe/test-utils';

/** What tfjs itself answers for the same input, on the same backend. */
function predictDirect(model: tf.LayersModel, input: Tensor): Float32Array {
  return tf.tidy(
    () =>
      (model.predict(tf.tensor(input.data as Float32Array, [...input.shape])) as tf.Tensor).dataSync() as Float32Array,
  );
}

/** A one-op graph model in a temp directory: y = op(x), x a vector of the given dtype. */
function graphModelOf(dtype: string, op: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tf-graph-'));
  writeFileSync(
    join(dir, 'model.json'),
    JSON.stringify({
      format: 'graph-model',
      modelTopology: {
        node: [
          {
            name: 'x',
            op: 'Placeholder',
            attr: { dtype: { type: dtype }, shape: { shape: { dim: [{ size: '-1' }] } } },
          },
          { name: 'y', op, input: ['x'], attr: { T: { type: dtype } } },
        ],
        versions: { producer: 1 },
      },
      weightsManifest: [],
    }),
  );
  return dir;
}

async function expectInvalid(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await rejection(promise);
  expect(isGraphPipeError(err) && err.code).toBe('INVALID_ARGUMENT');
  expect((err as Error).message).toMatch(message);
}

describe('layers models', () => {
  let iris: TfBackend;
  let conv: TfBackend;
  beforeAll(async () => {
    iris = await createTfBackend(modelPath('tf-iris'));
    conv = await createTfBackend(modelPath('tf-conv'));
  });
  afterAll(async () => {
    await iris.close?.();
    await conv.close?.();
  });

  it('describes the model from its layers', () => {
    expect(iris.format).toBe('layers-model');
    expect(iris.concurrency).toBe(1);
    expect(iris.metadata).toMatchObject({
      name: 'tf-iris',
      inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', dtype: 'float32', shape: [-1, 3] }],
    });
    expect(iris.metadata.description).toContain('tfjs wasm backend');
    expect(conv.metadata.inputs).toEqual([{ name: 'image', dtype: 'float32', shape: [-1, 32, 32, 3] }]);
    expect(conv.metadata.outputs).toEqual([{ name: 'probabilities', dtype: 'float32', shape: [-1, 10] }]);
  });

  it.each([1, 8])('matches tfjs model.predict at batch %i', async (batch) => {
    for (const [backend, name, dims] of [
      [iris, 'tf-iris', [4]],
      [conv, 'tf-conv', [32, 32, 3]],
    ] as const) {
      const direct = await tf.loadLayersModel(tf.io.fromMemory(artifactsOf(name)));
      const input = float32([batch, ...dims], batch);
      const out = await backend.infer({ [backend.metadata.inputs[0]!.name]: input }, ['probabilities'], liveContext());
      const expected = predictDirect(direct, input);
      direct.dispose();
      expect(out.probabilities).toEqual({ dtype: 'float32', shape: [batch, expected.length / batch], data: expected });
    }
  });

  it('reaches the held-out accuracy measured when the model was trained', async () => {
    const testSet = JSON.parse(readFileSync(join(modelPath('tf-iris'), 'test-set.json'), 'utf8')) as {
      features: number[][];
      labels: number[];
      correct: number;
      accuracy: number;
    };
    const input: Tensor = {
      dtype: 'float32',
      shape: [testSet.features.length, 4],
      data: Float32Array.from(testSet.features.flat()),
    };
    const { probabilities } = await iris.infer({ features: input }, ['probabilities'], liveContext());
    const p = probabilities!.data as Float32Array;
    const correct = testSet.labels.filter((label, row) => {
      const scores = Array.from(p.subarray(row * 3, row * 3 + 3));
      return scores.indexOf(Math.max(...scores)) === label;
    }).length;
    expect(correct).toBe(testSet.correct);
    expect(correct / testSet.labels.length).toBe(testSet.accuracy);
    expect(testSet.accuracy).toBeGreaterThan(0.9);
  });

  it('rejects other dtypes, shapes and output names with INVALID_ARGUMENT', async () => {
    const f64: Tensor = { dtype: 'float64', shape: [1, 4], data: new Float64Array(4) };
    await expectInvalid(
      iris.infer({ features: f64 }, ['probabilities'], liveContext()),
      /^input "features" must be float32, got float64 \(no implicit conversion; see the backend-tf README\)$/,
    );
    await expectInvalid(
      iris.infer({ features: float32([1, 5]) }, ['probabilities'], liveContext()),
      /^input "features" must have shape \[-1, 4\], got \[1, 5\]$/,
    );
    await expectInvalid(iris.infer({}, ['probabilities'], liveContext()), /missing input "features"/);
    await expectInvalid(iris.infer({ features: float32([1, 4]) }, ['nope'], liveContext()), /unknown output "nope"/);
  });

  it('does not start a request that was already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      iris.infer({ features: float32([1, 4]) }, ['probabilities'], { config: '', signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('graph model', () => {
  let graph: TfBackend;
  beforeAll(async () => {
    graph = await createTfBackend(join(modelPath('tf-graph'), 'model.json'));
  });
  afterAll(() => graph.close?.());

  it('takes names, dtypes and shapes from the signature', () => {
    expect(graph.format).toBe('graph-model');
    expect(graph.metadata).toMatchObject({
      name: 'tf-graph',
      inputs: [{ name: 'features', dtype: 'float32', shape: [-1, 4] }],
      outputs: [
        { name: 'scores', dtype: 'float32', shape: [-1, 3] },
        { name: 'class', dtype: 'int32', shape: [-1] },
      ],
    });
  });

  it.each([1, 8])('computes relu(x·W + b) and its argmax (int32) at batch %i, like tfjs does', async (batch) => {
    const input = float32([batch, 4], batch);
    const out = await graph.infer({ features: input }, ['class', 'scores'], liveContext());

    const direct = await tf.loadGraphModel(tf.io.fromMemory(artifactsOf('tf-graph')));
    const [scores, cls] = direct.execute({ features: tf.tensor(input.data as Float32Array, [batch, 4]) }, [
      'scores',
      'class',
    ]) as tf.Tensor[];
    expect(out.scores).toEqual({ dtype: 'float32', shape: [batch, 3], data: scores!.dataSync() });
    expect(out.class).toEqual({ dtype: 'int32', shape: [batch], data: cls!.dataSync() });
    tf.dispose([scores!, cls!]);
    direct.dispose();

    // And independently of tfjs, from the raw weights.
    const raw = readFileSync(join(modelPath('tf-graph'), 'weights.bin'));
    const w = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + 48));
    const b = new Float32Array(raw.buffer.slice(raw.byteOffset + 48, raw.byteOffset + 60));
    const x = input.data as Float32Array;
    for (let r = 0; r < batch; r++) {
      for (let c = 0; c < 3; c++) {
        let sum = b[c]!;
        for (let k = 0; k < 4; k++) sum += x[r * 4 + k]! * w[k * 3 + c]!;
        expect((out.scores!.data as Float32Array)[r * 3 + c]).toBeCloseTo(Math.max(0, sum), 5);
      }
    }
  });

  it('falls back to executeAsync for dynamic ops, and carries bool as uint8', async () => {
    // Where has a data-dependent output shape, so model.execute() refuses it.
    const backend = await createTfBackend(graphModelOf('DT_BOOL', 'Where'));
    expect(backend.metadata.inputs).toEqual([{ name: 'x', dtype: 'uint8', shape: [-1] }]);
    const x: Tensor = { dtype: 'uint8', shape: [5], data: Uint8Array.of(0, 7, 0, 1, 1) };
    for (let i = 0; i < 2; i++) {
      const { y } = await backend.infer({ x }, ['y'], liveContext());
      expect(y).toEqual({ dtype: 'int32', shape: [3, 1], data: Int32Array.of(1, 3, 4) });
    }
    await backend.close?.();
  });

  it('passes strings through as raw bytes', async () => {
    const backend = await createTfBackend(graphModelOf('DT_STRING', 'Identity'));
    expect(backend.metadata.inputs).toEqual([{ name: 'x', dtype: 'string', shape: [-1] }]);
    const text: Tensor = { dtype: 'string', shape: [2], data: ['héllo', Uint8Array.of(0xff, 0)] };
    const { y } = await backend.infer({ x: text }, ['y'], liveContext());
    expect(y).toEqual({
      dtype: 'string',
      shape: [2],
      data: [new TextEncoder().encode('héllo'), Uint8Array.of(0xff, 0)],
    });
    await backend.close?.();
  });
});

describe('formats', () => {
  it('refuses a SavedModel without native TensorFlow, saying what to install', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'saved-model-'));
    writeFileSync(join(dir, 'saved_model.pb'), '');
    await expect(createTfBackend(dir)).rejects.toThrow(
      `is a TensorFlow SavedModel, which needs native TensorFlow (now: wasm); ${NATIVE_HINT}`,
    );
  });

  it('refuses a model.json it cannot make sense of', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odd-model-'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [] }));
    await expect(createTfBackend(dir)).rejects.toThrow(/unrecognised model.json/);
  });
});

describe('names that are Object.prototype members', () => {
  /** tf-graph with its signature renamed: input features → __proto__, outputs scores → __proto__, class → toString. */
  const renamedGraph = () =>
    tfGraphWith((json) => {
      const { inputs, outputs } = json.signature!;
      json.signature = {
        inputs: Object.fromEntries([['__proto__', inputs.features]]),
        outputs: Object.fromEntries([
          ['__proto__', outputs.scores],
          ['toString', outputs.class],
        ]),
      };
    });

  it('serve as input and output names, leaving no tensor behind', async () => {
    const [plain, renamed] = [
      await createTfBackend(join(modelPath('tf-graph'), 'model.json')),
      await createTfBackend(renamedGraph()),
    ];
    const input = float32([3, 4]);
    const want = await plain.infer({ features: input }, ['scores', 'class'], liveContext());
    await renamed.infer(Object.fromEntries([['__proto__', input]]), ['toString'], liveContext()); // warm-up
    const before = tf.memory().numTensors;
    const got = await renamed.infer(
      Object.fromEntries([['__proto__', input]]),
      ['__proto__', 'toString'],
      liveContext(),
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.entries(got)).toEqual([
      ['__proto__', want.scores],
      ['toString', want.class],
    ]);
    await expectInvalid(renamed.infer({}, ['toString'], liveContext()), /^missing input "__proto__"$/);
    await Promise.all([plain.close?.(), renamed.close?.()]);
  });
});
