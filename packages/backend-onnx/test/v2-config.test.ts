// The bundled ONNX models' Triton configuration (GET /v2/models/{name}/config) on a real server:
// the tensors the v2 metadata lists, in Triton's data_type names, with and without batching.
import { readdirSync } from 'node:fs';
import { type ServeOptions, serve } from '@graphpipe/server-core/node';
import { closeAfter, MODELS_DIR, modelPath } from '@graphpipe/test-utils';
import { beforeAll, describe, expect, test } from 'vitest';
import { createOnnxBackend } from '../src/index.js';

const bundled = readdirSync(MODELS_DIR)
  .filter((f) => f.endsWith('.onnx'))
  .map((f) => f.slice(0, -'.onnx'.length))
  .sort();

interface TensorMetadata {
  name: string;
  datatype: string;
  shape: number[];
}
interface TensorConfig {
  name: string;
  data_type: string;
  dims: number[];
  reshape?: { shape: number[] };
}

const closing = closeAfter('all');

async function serveAll(options: ServeOptions = {}): Promise<string> {
  const backends = await Promise.all(bundled.map((name) => createOnnxBackend(modelPath(`${name}.onnx`))));
  const server = closing(await serve(backends, { port: 0, logger: false, ...options }));
  return server.url;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** Triton's name for a v2 datatype. */
const tritonType = (datatype: string) => `TYPE_${datatype === 'BYTES' ? 'STRING' : datatype}`;

describe('bundled ONNX models', () => {
  let plain: string;
  let batched: string;
  beforeAll(async () => {
    [plain, batched] = await Promise.all([serveAll(), serveAll({ batching: { maxBatchSize: 16, maxDelayMs: 5 } })]);
  });

  test.each(bundled)('%s: the metadata tensors, whole, with max_batch_size 0 without batching', async (name) => {
    const metadata = await getJson<{ inputs: TensorMetadata[]; outputs: TensorMetadata[] }>(
      `${plain}/v2/models/${name}`,
    );
    const config = await getJson<{ input: TensorConfig[]; output: TensorConfig[] }>(
      `${plain}/v2/models/${name}/config`,
    );
    const asConfig = (t: TensorMetadata) => ({ name: t.name, data_type: tritonType(t.datatype), dims: t.shape });
    expect(config).toMatchObject({ platform: 'onnxruntime_onnx', backend: 'onnxruntime', max_batch_size: 0 });
    expect(config).not.toHaveProperty('dynamic_batching');
    expect(config.input).toEqual(metadata.inputs.map(asConfig));
    expect(config.output).toEqual(metadata.outputs.map(asConfig));
  });

  test('iris: batched, the dims leave out the batch dimension', async () => {
    expect(await getJson(`${batched}/v2/models/iris-classifier/config`)).toEqual({
      name: 'iris-classifier',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 16,
      input: [{ name: 'features', data_type: 'TYPE_FP32', dims: [4] }],
      output: [
        { name: 'probabilities', data_type: 'TYPE_FP32', dims: [3] },
        { name: 'label', data_type: 'TYPE_INT64', dims: [1], reshape: { shape: [] } },
      ],
      dynamic_batching: { preferred_batch_size: [16], max_queue_delay_microseconds: 5000 },
      instance_group: [{ count: 4, kind: 'KIND_CPU' }],
    });
  });

  test('every dtype by its Triton name; BYTES is TYPE_STRING and bool TYPE_BOOL', async () => {
    const dtypes = await getJson<{ input: TensorConfig[] }>(`${plain}/v2/models/identity-dtypes/config`);
    expect(dtypes.input.map((t) => t.data_type)).toEqual([
      'TYPE_UINT8',
      'TYPE_INT8',
      'TYPE_UINT16',
      'TYPE_INT16',
      'TYPE_UINT32',
      'TYPE_INT32',
      'TYPE_UINT64',
      'TYPE_INT64',
      'TYPE_FP16',
      'TYPE_FP32',
      'TYPE_FP64',
      'TYPE_STRING',
    ]);
    const bool = await getJson<{ input: TensorConfig[] }>(`${plain}/v2/models/bool-io/config`);
    expect(bool.input.map((t) => t.data_type)).toEqual(['TYPE_FP32', 'TYPE_BOOL']);
  });

  test('busy-loop: scalar tensors have no batch dimension, so batched it stays max_batch_size 0', async () => {
    expect(await getJson(`${batched}/v2/models/busy-loop/config`)).toMatchObject({
      max_batch_size: 0,
      input: [{ name: 'iterations', data_type: 'TYPE_INT64', dims: [] }],
      output: [{ name: 'count', data_type: 'TYPE_INT64', dims: [] }],
      dynamic_batching: { preferred_batch_size: [16], max_queue_delay_microseconds: 5000 },
    });
  });
});
