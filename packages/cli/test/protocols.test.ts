// Every bundled model, served as `graphpipe serve` serves it, answers the same inputs with the
// same output bytes through GraphPipe, the Open Inference Protocol in JSON, and the Open
// Inference Protocol with binary tensor data.
import { readdirSync } from 'node:fs';
import { RemoteModel, type Tensor, type TensorSpec, typedArrayFor } from '@graphpipe/client';
import type { NumericDType } from '@graphpipe/protocol';
import { serve } from '@graphpipe/server-core/node';
import { closeAfter, MODELS_DIR, modelPath, randomInt, seededRandom } from '@graphpipe/test-utils';
import { describe, expect, test } from 'vitest';
import { loadBackend } from '../src/load-backend.js';

const bundled = readdirSync(MODELS_DIR, { withFileTypes: true })
  .filter((e) => e.name.endsWith('.onnx') || (e.isDirectory() && e.name.startsWith('tf-')))
  .map((e) => e.name)
  .sort();

/** Inputs that keep a model's run short or its answer well defined. */
const FIXED: Record<string, Record<string, Tensor>> = {
  'busy-loop.onnx': { iterations: { dtype: 'int64', shape: [], data: new BigInt64Array([1000n]) } },
};

/** Seeded inputs fitting each declared input: -1 dimensions are 2, values spread over the dtype's range. */
function inputsFor(file: string, specs: readonly TensorSpec[], seed: number): Record<string, Tensor> {
  const random = seededRandom(seed);
  const inputs: Record<string, Tensor> = {};
  for (const spec of specs) {
    const fixed = FIXED[file]?.[spec.name];
    if (fixed) {
      inputs[spec.name] = fixed;
      continue;
    }
    const shape = (spec.shape ?? [3]).map((d) => (d < 0 ? 2 : d));
    const count = shape.reduce((n, d) => n * d, 1);
    const dtype = spec.dtype ?? 'float32';
    if (dtype === 'string') {
      const words = ['', 'héllo', '日本語', 'plain', '😀'];
      inputs[spec.name] = {
        dtype,
        shape,
        data: Array.from({ length: count }, () => words[randomInt(random, words.length)]!),
      };
      continue;
    }
    const data = new (typedArrayFor(dtype as NumericDType))(count) as unknown as (number | bigint)[];
    for (let i = 0; i < count; i++) {
      const byte = randomInt(random, 256);
      if (dtype === 'float32' || dtype === 'float64') data[i] = random() * 8 - 4;
      else if (dtype === 'bool') data[i] = byte & 1;
      else if (dtype === 'int64' || dtype === 'uint64') data[i] = BigInt(byte) * 0x10000000001n;
      else data[i] = byte * 257;
    }
    inputs[spec.name] = { dtype, shape, data } as unknown as Tensor;
  }
  return inputs;
}

/** dtype, shape and the bytes of every element. */
function fingerprint(t: Tensor): unknown {
  const bytes =
    t.dtype === 'string'
      ? t.data.map((s) => Array.from(typeof s === 'string' ? new TextEncoder().encode(s) : s))
      : Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return { dtype: t.dtype, shape: [...t.shape], bytes };
}

const closing = closeAfter('all');

describe.each(bundled)('%s', (file) => {
  test('answers identically through GraphPipe, v2 JSON and v2 binary', { timeout: 120_000 }, async () => {
    const backend = await loadBackend(modelPath(file));
    const server = closing(await serve(backend, { port: 0, logger: false }));
    const { name, inputs: specs } = backend.metadata;
    const inputs = inputsFor(file, specs, 20181);
    const v2 = `${server.url}/v2/models/${name}`;
    const viaBinary = await new RemoteModel(v2).infer(inputs);
    const viaJson = await new RemoteModel(v2, { encoding: 'json' }).infer(inputs);
    const names = Object.keys(viaBinary.byName);
    expect(names.length).toBeGreaterThan(0);
    expect(Object.keys(viaJson.byName)).toEqual(names);
    for (const output of names)
      expect(fingerprint(viaJson.byName[output]!), output).toEqual(fingerprint(viaBinary.byName[output]!));

    if (specs.some((s) => s.dtype === 'bool')) {
      // GraphPipe has no bool type: the model is refused there, saying where to call it instead.
      await expect(new RemoteModel(server.url).infer(inputs)).rejects.toThrow(
        /call it over the Open Inference Protocol/,
      );
      return;
    }
    const viaGraphPipe = await new RemoteModel(server.url).infer(inputs, { outputNames: names });
    for (const output of names) {
      const fromGraphPipe = viaGraphPipe.byName[output]!;
      const fromV2 = viaBinary.byName[output]!;
      // GraphPipe carries a bool output as uint8, byte for byte.
      const same = fromV2.dtype === 'bool' ? { ...fromV2, dtype: 'uint8' } : fromV2;
      expect(fingerprint(fromGraphPipe), output).toEqual(fingerprint(same as Tensor));
    }
  });
});

describe('the checks a compatible server passes, on iris-classifier.onnx', () => {
  test('metadata, nested JSON against GraphPipe, and a hand-built binary request against JSON', async () => {
    const server = closing(
      await serve(await loadBackend(modelPath('iris-classifier.onnx')), { port: 0, logger: false }),
    );
    const base = `${server.url}/v2/models/iris-classifier`;
    expect(await (await fetch(base)).json()).toMatchObject({
      name: 'iris-classifier',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
        { name: 'label', datatype: 'INT64', shape: [-1] },
      ],
    });

    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [6.7, 3.0, 5.2, 2.3],
    ];
    const json = await fetch(`${base}/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', data: rows }] }),
    });
    const answer = (await json.json()) as { outputs: { name: string; data: number[] }[] };
    const features = { features: { dtype: 'float32', shape: [2, 4], data: new Float32Array(rows.flat()) } as Tensor };
    const graphpipe = await new RemoteModel(server.url).infer(features, { outputNames: ['probabilities', 'label'] });
    expect(Float32Array.from(answer.outputs[0]!.data)).toEqual(graphpipe.byName.probabilities!.data);
    expect(answer.outputs[1]!.data).toEqual([0, 2]);

    // JSON header, then the little-endian float32 bytes, as the binary tensor data extension says.
    const header = new TextEncoder().encode(
      JSON.stringify({
        inputs: [{ name: 'features', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } }],
        parameters: { binary_data_output: true },
      }),
    );
    const body = new Uint8Array(header.length + 32);
    body.set(header);
    body.set(new Uint8Array(new Float32Array(rows.flat()).buffer), header.length);
    const binary = await fetch(`${base}/infer`, {
      method: 'POST',
      body,
      headers: { 'inference-header-content-length': String(header.length) },
    });
    const bytes = new Uint8Array(await binary.arrayBuffer());
    const split = Number(binary.headers.get('inference-header-content-length'));
    const tail = bytes.slice(split);
    expect(new Float32Array(tail.buffer, 0, 6)).toEqual(Float32Array.from(answer.outputs[0]!.data));
    expect(new BigInt64Array(tail.buffer, 24, 2)).toEqual(BigInt64Array.from([0n, 2n]));
  });
});
