// Our gRPC server called by grpcio, the C-core client that tritonclient.grpc (and perf_analyzer's
// Python tooling) run on: plain, gzip and deflate calls, a 4.6 MiB tensor, BYTES, a status with
// its trailers, UNIMPLEMENTED, the health service and ModelStreamInfer. Skipped, saying so, where
// no Python with grpcio is found (GRAPHPIPE_PYTHON names one, default python3; `pip install grpcio`).
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tensor } from '@graphpipe/client';
import {
  create,
  fromBinary,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
  inferRequest,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelStreamInferResponseSchema,
  responseOutputs,
  toBinary,
} from '@graphpipe/protocol/grpc';
import { createFunctionBackend } from '@graphpipe/server-core';
import { afterAll, expect, test } from 'vitest';
import { expectSameTensor, useServers } from './helpers.js';

const python = process.env.GRAPHPIPE_PYTHON ?? 'python3';
const found = spawnSync(python, ['-c', 'import grpc'], { encoding: 'utf8' });
const withGrpcio = !found.error && found.status === 0;
const script = fileURLToPath(new URL('./fixtures/grpc_interop.py', import.meta.url));
const start = useServers();
const dir = mkdtempSync(join(tmpdir(), 'grpc-python-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The large input's bytes: 8 rows of 224×224×3 float32. */
const LARGE_BYTES = 8 * 224 * 224 * 3 * 4;
const inputs = {
  small: tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]),
  large: tensor(
    Float32Array.from({ length: 8 * 224 * 224 * 3 }, (_, i) => i % 1000),
    [8, 224, 224, 3],
  ),
  words: tensor(['héllo', '', 'wörld'], [3]),
};

const answerOf = (hex: string) =>
  responseOutputs(fromBinary(ModelInferResponseSchema, Buffer.from(hex, 'hex')))[0]!.tensor;

test.skipIf(!withGrpcio)(
  `grpcio (${python}) calls every kind of RPC and reads every answer`,
  async () => {
    const handle = await start([createFunctionBackend(({ input0 }) => input0!, { name: 'echo' })], {
      grpc: { port: 0 },
    });
    const request = (t: (typeof inputs)[keyof typeof inputs], modelName = 'echo') =>
      toBinary(ModelInferRequestSchema, inferRequest({ modelName, inputs: [{ name: 'input0', tensor: t }] }));
    for (const [name, t] of Object.entries(inputs)) writeFileSync(join(dir, name), request(t));
    writeFileSync(join(dir, 'nope'), request(inputs.small, 'nope'));
    writeFileSync(join(dir, 'health'), toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, {})));

    // Run apart from this process's event loop, which serves the calls.
    const run = await promisify(execFile)(python, [script, handle.grpc!.url.replace('grpc://', ''), dir], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 16 * 2 ** 20,
    });
    const out = JSON.parse(run.stdout) as Record<string, unknown> & {
      nope: { code: string; details: string; trailers: Record<string, string> };
      shm: { code: string };
      health: string;
      stream: (string | number)[];
    };

    for (const compression of ['none', 'Gzip', 'Deflate']) {
      const small = out[`small-${compression}`] as { code: string; answer: string };
      expect(small.code).toBe('OK');
      expect(answerOf(small.answer).data).toEqual(inputs.small.data);
    }
    // The large answer's size: its head and its 4.6 MiB of contents.
    for (const compression of ['none', 'Gzip']) {
      expect((out[`large-${compression}`] as { answer: number }).answer).toBeGreaterThan(LARGE_BYTES);
    }
    expectSameTensor(answerOf((out['words-none'] as { answer: string }).answer), inputs.words);
    expect(out.nope).toMatchObject({ code: 'NOT_FOUND', trailers: { 'graphpipe-error-code': 'NOT_FOUND' } });
    expect(out.nope.details).toMatch(/no model "nope"/);
    expect(out.shm.code).toBe('UNIMPLEMENTED');
    expect(fromBinary(HealthCheckResponseSchema, Buffer.from(out.health, 'hex')).status).toBe(
      HealthCheckResponse_ServingStatus.SERVING,
    );
    // One answer per request, in order: the failed one as its error message.
    expect(out.stream).toHaveLength(4);
    const streamed = out.stream
      .slice(0, 3)
      .map((hex) => fromBinary(ModelStreamInferResponseSchema, Buffer.from(hex as string, 'hex')));
    expect(responseOutputs(streamed[0]!.inferResponse!)[0]!.tensor.data).toEqual(inputs.small.data);
    expect(streamed[1]!.errorMessage).toMatch(/no model "nope"/);
    expectSameTensor(responseOutputs(streamed[2]!.inferResponse!)[0]!.tensor, inputs.words);
    expect(out.stream[3]).toBeGreaterThan(LARGE_BYTES);
  },
  180_000,
);
