/**
 * Edge ONNX tier: the WebAssembly backend (@graphpipe/backend-onnx-web, onnxruntime-web, one
 * thread) against the native one (@graphpipe/backend-onnx, onnxruntime-node, default options),
 * both in this process through the backend interface, on the same batch of each model; rows/s.
 * The two must agree on the answers first.
 */
import { readFileSync } from 'node:fs';
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { createOnnxWebBackend } from '@graphpipe/backend-onnx-web';
import { type Tensor, tensor } from '@graphpipe/protocol';
import type { Backend } from '@graphpipe/server-core';
import { modelPath } from '@graphpipe/test-utils';
import type { BenchConfig } from './config.js';
import { randomFloats } from './data.js';
import { drive } from './drive.js';
import { progress } from './progress.js';
import type { EdgeOnnxResults, EdgeOnnxRow } from './results.js';

const MODELS = ['iris-classifier', 'tiny-conv'] as const;

function sampleInputs(backend: Backend, batch: number): Record<string, Tensor> {
  const inputs: Record<string, Tensor> = {};
  for (const [i, spec] of backend.metadata.inputs.entries()) {
    const shape = (spec.shape ?? [-1]).map((d, axis) => (d >= 0 ? d : axis === 0 ? batch : 1));
    inputs[spec.name] = tensor(
      randomFloats(
        shape.reduce((a, b) => a * b, 1),
        11 + i,
      ),
      shape,
    );
  }
  return inputs;
}

async function rowsPerSec(backend: Backend, inputs: Record<string, Tensor>, batch: number, config: BenchConfig) {
  const context = { config: '', signal: new AbortController().signal };
  const once = async () => {
    await backend.infer(inputs, [], context);
    return batch;
  };
  return drive({ concurrency: 1, ...config.edgeOnnx }, once);
}

/** The largest difference between the two backends' float outputs. */
function maxAbsDiff(a: Readonly<Record<string, Tensor>>, b: Readonly<Record<string, Tensor>>): number {
  let max = 0;
  for (const [name, t] of Object.entries(a)) {
    const other = b[name];
    if (!other || other.shape.join() !== t.shape.join()) throw new Error(`the backends disagree on output ${name}`);
    const x = t.data as ArrayLike<number | bigint>;
    const y = other.data as ArrayLike<number | bigint>;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(Number(x[i]) - Number(y[i])));
  }
  return max;
}

export async function runEdgeOnnx(config: BenchConfig): Promise<EdgeOnnxResults> {
  const bar = progress('edge-onnx', MODELS.length * 2, config.progress);
  const rows: EdgeOnnxRow[] = [];
  try {
    for (const model of MODELS) {
      const native = await createOnnxBackend(modelPath(`${model}.onnx`));
      const web = await createOnnxWebBackend(readFileSync(modelPath(`${model}.onnx`)));
      try {
        const batch = config.edgeOnnx.batch;
        const inputs = sampleInputs(native, batch);
        const context = { config: '', signal: new AbortController().signal };
        const diff = maxAbsDiff(await native.infer(inputs, [], context), await web.infer(inputs, [], context));
        if (!(diff < 1e-3)) throw new Error(`${model}: the backends' answers differ by ${diff}`);
        const n = await rowsPerSec(native, inputs, batch, config);
        bar.tick(`${model} onnxruntime-node`);
        const w = await rowsPerSec(web, inputs, batch, config);
        bar.tick(`${model} onnxruntime-web`);
        rows.push({
          model,
          batch,
          nodeRowsPerSec: n.rowsPerSec,
          webRowsPerSec: w.rowsPerSec,
          ratio: w.rowsPerSec / n.rowsPerSec,
          runs: n.requests + w.requests,
          maxAbsDiff: diff,
        });
      } finally {
        await native.close();
        await web.close();
      }
    }
    return { rows };
  } finally {
    bar.stop();
  }
}
