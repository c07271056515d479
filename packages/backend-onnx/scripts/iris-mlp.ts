/**
 * A one-hidden-layer ReLU MLP for Iris, trained by plain full-batch gradient descent on softmax
 * cross-entropy. Everything is seeded, so the trained weights are the same on every run.
 */
import { shuffle, uniformFloats } from '@graphpipe/test-utils';

export interface Split {
  trainX: number[][];
  trainY: number[];
  testX: number[][];
  testY: number[];
}

/** Takes `testPerClass` rows of every class for the test set, so both sets keep the class balance. */
export function stratifiedSplit(random: () => number, x: number[][], y: number[], testPerClass: number): Split {
  const split: Split = { trainX: [], trainY: [], testX: [], testY: [] };
  const classes = [...new Set(y)].sort((a, b) => a - b);
  for (const c of classes) {
    const rows = shuffle(
      random,
      y.flatMap((label, i) => (label === c ? [i] : [])),
    );
    rows.forEach((row, k) => {
      const [xs, ys] = k < testPerClass ? [split.testX, split.testY] : [split.trainX, split.trainY];
      xs.push(x[row]!);
      ys.push(c);
    });
  }
  return split;
}

/** Trained parameters; weight matrices are row-major [in, out], as ONNX Gemm takes them. */
export interface Mlp {
  mean: Float32Array;
  std: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
  inputs: number;
  hidden: number;
  classes: number;
}

export interface TrainOptions {
  hidden: number;
  classes: number;
  epochs: number;
  learningRate: number;
}

function columnStats(x: number[][]): { mean: Float32Array; std: Float32Array } {
  const n = x.length;
  const d = x[0]!.length;
  const mean = new Float32Array(d);
  const std = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    const m = x.reduce((s, row) => s + row[j]!, 0) / n;
    mean[j] = m;
    std[j] = Math.sqrt(x.reduce((s, row) => s + (row[j]! - m) ** 2, 0) / n);
  }
  return { mean, std };
}

export function trainMlp(random: () => number, x: number[][], y: number[], opts: TrainOptions): Mlp {
  const { hidden: h, classes: k, epochs, learningRate } = opts;
  const d = x[0]!.length;
  const n = x.length;
  const { mean, std } = columnStats(x);
  const z = x.map((row) => row.map((v, j) => (v - mean[j]!) / std[j]!));
  // Glorot-uniform start; training runs in float64 and is rounded to float32 once at the end.
  const [limit1, limit2] = [Math.sqrt(6 / (d + h)), Math.sqrt(6 / (h + k))];
  const w1 = Float64Array.from(uniformFloats(random, d * h, -limit1, limit1));
  const w2 = Float64Array.from(uniformFloats(random, h * k, -limit2, limit2));
  const b1 = new Float64Array(h);
  const b2 = new Float64Array(k);
  const act = new Float64Array(h);
  const probs = new Float64Array(k);
  const gW1 = new Float64Array(d * h),
    gB1 = new Float64Array(h),
    gW2 = new Float64Array(h * k),
    gB2 = new Float64Array(k);
  const dAct = new Float64Array(h);

  for (let epoch = 0; epoch < epochs; epoch++) {
    gW1.fill(0);
    gB1.fill(0);
    gW2.fill(0);
    gB2.fill(0);
    for (let s = 0; s < n; s++) {
      const input = z[s]!;
      hiddenLayer(input, w1, b1, h, act);
      softmax(outputLayer(act, w2, b2, k, probs));
      // d(loss)/d(logit) = p - onehot(y); averaged over the batch below.
      probs[y[s]!]! -= 1;
      dAct.fill(0);
      for (let i = 0; i < h; i++) {
        for (let c = 0; c < k; c++) {
          gW2[i * k + c]! += act[i]! * probs[c]!;
          dAct[i]! += w2[i * k + c]! * probs[c]!;
        }
        if (act[i]! <= 0) dAct[i] = 0;
      }
      for (let c = 0; c < k; c++) gB2[c]! += probs[c]!;
      for (let j = 0; j < d; j++) for (let i = 0; i < h; i++) gW1[j * h + i]! += input[j]! * dAct[i]!;
      for (let i = 0; i < h; i++) gB1[i]! += dAct[i]!;
    }
    const step = learningRate / n;
    for (let i = 0; i < w1.length; i++) w1[i]! -= step * gW1[i]!;
    for (let i = 0; i < b1.length; i++) b1[i]! -= step * gB1[i]!;
    for (let i = 0; i < w2.length; i++) w2[i]! -= step * gW2[i]!;
    for (let i = 0; i < b2.length; i++) b2[i]! -= step * gB2[i]!;
  }
  return {
    mean,
    std,
    inputs: d,
    hidden: h,
    classes: k,
    w1: Float32Array.from(w1),
    b1: Float32Array.from(b1),
    w2: Float32Array.from(w2),
    b2: Float32Array.from(b2),
  };
}

function hiddenLayer(
  input: ArrayLike<number>,
  w1: ArrayLike<number>,
  b1: ArrayLike<number>,
  h: number,
  out: Float64Array,
): Float64Array {
  for (let i = 0; i < h; i++) {
    let sum = b1[i]!;
    for (let j = 0; j < input.length; j++) sum += input[j]! * w1[j * h + i]!;
    out[i] = Math.max(0, sum);
  }
  return out;
}

function outputLayer(
  act: Float64Array,
  w2: ArrayLike<number>,
  b2: ArrayLike<number>,
  k: number,
  out: Float64Array,
): Float64Array {
  for (let c = 0; c < k; c++) {
    let sum = b2[c]!;
    for (let i = 0; i < act.length; i++) sum += act[i]! * w2[i * k + c]!;
    out[c] = sum;
  }
  return out;
}

function softmax(v: Float64Array): Float64Array {
  const max = Math.max(...v);
  let total = 0;
  for (let i = 0; i < v.length; i++) total += v[i] = Math.exp(v[i]! - max);
  for (let i = 0; i < v.length; i++) v[i]! /= total;
  return v;
}

/** The class the exported float32 weights pick for one raw (unstandardized) row; ArgMax of the logits, as in the graph. */
export function predict(mlp: Mlp, row: readonly number[]): number {
  const z = row.map((v, j) => (v - mlp.mean[j]!) / mlp.std[j]!);
  const logits = outputLayer(
    hiddenLayer(z, mlp.w1, mlp.b1, mlp.hidden, new Float64Array(mlp.hidden)),
    mlp.w2,
    mlp.b2,
    mlp.classes,
    new Float64Array(mlp.classes),
  );
  return logits.indexOf(Math.max(...logits));
}

export function accuracy(mlp: Mlp, x: number[][], y: number[]): number {
  return x.filter((row, i) => predict(mlp, row) === y[i]).length / x.length;
}
