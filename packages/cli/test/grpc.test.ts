// The gRPC front door end to end: every bundled model answers the same over GraphPipe, the
// Open Inference Protocol's REST form and its gRPC service, and `graphpipe info|infer` take a
// grpc:// URL.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RemoteModel, type Tensor, type TensorSpec, tensor } from '@graphpipe/client';
import { serve } from '@graphpipe/server-core/node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadBackend } from '../src/load-backend.js';
import { cliBin, repoRoot, runCli, startUntil, stop } from './helpers.js';

const modelsDir = join(repoRoot, 'models');
// Every model file and directory bundled, but the data file beside them.
const bundled = readdirSync(modelsDir).filter((f) => !f.endsWith('.json') && !f.endsWith('.md') && !f.startsWith('.'));

let handle: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  const backends = await Promise.all(bundled.map((f) => loadBackend(join(modelsDir, f))));
  handle = await serve(backends, { port: 0, logger: false, grpc: { port: 0 } });
}, 120_000);
afterAll(() => handle?.close());

/** A tensor for a declared input: variable dimensions as 2, elements made from their index. */
function sample(spec: TensorSpec, name: string): Tensor {
  const shape = (spec.shape ?? [2]).map((d) => (d < 0 ? 2 : d));
  const count = shape.reduce((n, d) => n * d, 1);
  const ramp = (f: (i: number) => number) => Array.from({ length: count }, (_, i) => f(i));
  switch (spec.dtype ?? 'float32') {
    case 'string':
      return tensor(
        ramp((i) => i).map((i) => `${name}-${i}`),
        shape,
      );
    case 'bool':
      return tensor(new Uint8Array(ramp((i) => i % 2)), shape, 'bool');
    case 'float16':
      return tensor(new Uint16Array(ramp(() => 0x3c00)), shape, 'float16');
    case 'int64':
      // busy-loop's iterations: a few, not millions.
      return tensor(new BigInt64Array(ramp((i) => i + 3).map(BigInt)), shape);
    case 'uint64':
      return tensor(new BigUint64Array(ramp((i) => i + 1).map(BigInt)), shape);
    case 'float32':
      return tensor(new Float32Array(ramp((i) => (i % 7) / 7)), shape);
    case 'float64':
      return tensor(new Float64Array(ramp((i) => i / 3)), shape);
    default: {
      const ArrayType = {
        uint8: Uint8Array,
        int8: Int8Array,
        uint16: Uint16Array,
        int16: Int16Array,
        uint32: Uint32Array,
        int32: Int32Array,
      }[spec.dtype as 'uint8'];
      return tensor(new ArrayType(ramp((i) => i % 100)), shape);
    }
  }
}

/** A tensor's bytes in a comparable form. */
function bytesOf(t: Tensor): unknown {
  if (t.dtype === 'string') return t.data.map((e) => Buffer.from(typeof e === 'string' ? e : e).toString('hex'));
  return {
    dtype: t.dtype,
    shape: t.shape,
    hex: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'),
  };
}

test('every bundled model answers identically over GraphPipe, REST v2 and gRPC', async () => {
  const names = handle.core.models.served().map((m) => m.name);
  expect(names.length).toBe(bundled.length);
  for (const name of names) {
    const graphpipe = new RemoteModel(`${handle.url}/models/${name}`);
    const rest = new RemoteModel(`${handle.url}/v2/models/${name}`);
    const grpc = new RemoteModel(`${handle.grpc!.url}/models/${name}`);
    try {
      const meta = await grpc.metadata();
      expect(
        meta.inputs.map((i) => i.name),
        name,
      ).toEqual((await rest.metadata()).inputs.map((i) => i.name));
      const inputs = Object.fromEntries(meta.inputs.map((spec) => [spec.name, sample(spec, spec.name)]));
      const outputNames = meta.outputs.map((o) => o.name);
      // GraphPipe's wire has no bool: such a model is compared over the other two.
      const hasBool = [...meta.inputs, ...meta.outputs].some((t) => t.dtype === 'bool');
      const [viaRest, viaGrpc, viaGraphPipe] = await Promise.all(
        [rest, grpc, ...(hasBool ? [] : [graphpipe])].map(async (m) =>
          (await m.infer(inputs, { outputNames })).outputs.map(bytesOf),
        ),
      );
      expect(viaGrpc, `${name} over gRPC`).toEqual(viaRest);
      if (viaGraphPipe) expect(viaGraphPipe, `${name} over GraphPipe`).toEqual(viaRest);
    } finally {
      grpc.close();
    }
  }
}, 120_000);

test('graphpipe info and infer take a grpc:// URL', async () => {
  const url = `${handle.grpc!.url}/models/iris-classifier`;
  const info = await runCli(['info', url]);
  expect(info.stderr).toBe('');
  expect(info.stdout).toMatch(/iris-classifier/);
  expect(info.stdout).toMatch(/features/);
  const infer = await runCli(['infer', url, '--input', '[[5.1, 3.5, 1.4, 0.2]]']);
  expect(infer.code).toBe(0);
  expect(infer.stdout).toMatch(/probabilities: float32\[1, 3\] 0\.99/);
  expect(infer.stdout).toMatch(/label: int64\[1\] 0/);
  const missing = await runCli(['infer', `${handle.grpc!.url}/models/nope`, '--input', '[[1]]']);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/answered NOT_FOUND: no model "nope"/);
}, 60_000);

test('with --workers, every worker serves gRPC on the one port', async () => {
  const { child, match } = await startUntil(
    process.execPath,
    [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--workers', '2', '--quiet'],
    /workers: pids [\d, ]+\)\n {2}grpc: +(grpc:\/\/\S+)/,
  );
  try {
    // Fresh channels, so the calls land on connections each worker may have accepted.
    for (let i = 0; i < 4; i++) {
      const model = new RemoteModel(`${match[1]}/models/iris-classifier`);
      const { byName } = await model.infer({ features: tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]) });
      expect(Array.from(byName.label!.data as BigInt64Array)).toEqual([0n]);
      model.close();
    }
  } finally {
    await stop(child, 'SIGINT');
  }
}, 90_000);
