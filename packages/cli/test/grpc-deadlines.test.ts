// Deadlines over gRPC on a real server running a slow ONNX model in one worker thread: a call's
// own deadline and the `timeout` parameter bound its inference as the HTTP routes' deadlines do.
// A run past its deadline is answered then and abandoned; a call queued behind it never runs.
import { join } from 'node:path';
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { tensor } from '@graphpipe/protocol';
import {
  create,
  fromBinary,
  GRPCInferenceService,
  InferParameterSchema,
  inferRequest,
  ModelStatisticsResponseSchema,
  toBinary,
} from '@graphpipe/protocol/grpc';
import { serve } from '@graphpipe/server-core/node';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { afterEach, expect, test, vi } from 'vitest';
import { repoRoot } from './helpers.js';

/** busy-loop adds 1 to a counter as many times as asked, a few microseconds each. */
const LOOP = join(repoRoot, 'models', 'busy-loop.onnx');
/** A run of several seconds, far beyond the deadlines here. */
const LONG = 1_000_000;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function start() {
  // One worker thread: a run past its deadline is abandoned (its worker replaced).
  const backend = await createOnnxBackend(LOOP, { workers: 1, intraOpNumThreads: 1 });
  const server = await serve(backend, { port: 0, logger: false, grpc: { port: 0 } });
  const client = new Client(server.grpc!.url.replace('grpc://', ''), credentials.createInsecure());
  cleanup = async () => {
    client.close();
    await server.close();
  };
  return { server, client };
}

type Outcome = { code: number; details: string };

/** ModelInfer for `iterations` of the loop, with a gRPC deadline and/or a `timeout` parameter (µs). */
function infer(client: Client, iterations: number, deadlineMs?: number, timeoutUs?: number): Promise<Outcome> {
  const request = inferRequest({
    modelName: 'busy-loop',
    inputs: [{ name: 'iterations', tensor: tensor(BigInt64Array.of(BigInt(iterations)), [], 'int64') }],
  });
  if (timeoutUs !== undefined) {
    request.parameters.timeout = create(InferParameterSchema, {
      parameterChoice: { case: 'int64Param', value: BigInt(timeoutUs) },
    });
  }
  const path = `/${GRPCInferenceService.typeName}/ModelInfer`;
  const deadline = Date.now() + (deadlineMs ?? 60_000);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (m: typeof request) => Buffer.from(toBinary(GRPCInferenceService.method.modelInfer.input, m)),
      (b: Buffer) => b,
      request,
      new Metadata(),
      { deadline },
      (err: ServiceError | null) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' }),
    );
  });
}

async function executions(client: Client): Promise<number> {
  const bytes = await new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest(
      `/${GRPCInferenceService.typeName}/ModelStatistics`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      (err: ServiceError | null, value?: Buffer) => (err ? reject(err) : resolve(value!)),
    ),
  );
  return Number(fromBinary(ModelStatisticsResponseSchema, bytes).modelStats[0]!.executionCount);
}

test.each([
  { by: 'its gRPC deadline', long: [300, undefined], queued: [100, undefined] },
  { by: 'the timeout parameter', long: [undefined, 300_000], queued: [undefined, 100_000] },
] as const)(
  'a call bound by $by: a run past it is answered DEADLINE_EXCEEDED and abandoned; the one queued behind never runs',
  async ({ long, queued }) => {
    const { server, client } = await start();
    const longCall = infer(client, LONG, ...long);
    await vi.waitFor(() => expect(server.core.load().running).toBe(1), { timeout: 30_000 });
    const queuedCall = infer(client, 3, ...queued);
    const answers = await Promise.all([longCall, queuedCall]);
    for (const answer of answers) expect(answer.code).toBe(status.DEADLINE_EXCEEDED);
    if (long[1] !== undefined) {
      // Answered by the server (a gRPC deadline is also enforced by the client, which then says so itself).
      for (const answer of answers) expect(answer.details).toMatch(/^Request timeout expired: model "busy-loop"/);
    }
    // Abandoned, the run gave its slot back as it was answered.
    await vi.waitFor(() => expect(server.core.load().running).toBe(0), { timeout: 30_000 });
    expect((await infer(client, 3)).code).toBe(status.OK);
    // Only that last one ran to its end: the queued call never reached the model.
    expect(await executions(client)).toBe(1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^graphpipe_request_timeouts_total\{model="busy-loop",version="1"\} 2$/m);
  },
  120_000,
);

test('a timeout parameter that is not an integer is INVALID_ARGUMENT, and says the form', async () => {
  const { client } = await start();
  const request = inferRequest({
    modelName: 'busy-loop',
    inputs: [{ name: 'iterations', tensor: tensor(BigInt64Array.of(3n), [], 'int64') }],
  });
  request.parameters.timeout = create(InferParameterSchema, {
    parameterChoice: { case: 'stringParam', value: '100' },
  });
  const answer = await new Promise<Outcome>((resolve) =>
    client.makeUnaryRequest(
      `/${GRPCInferenceService.typeName}/ModelInfer`,
      (m: typeof request) => Buffer.from(toBinary(GRPCInferenceService.method.modelInfer.input, m)),
      (b: Buffer) => b,
      request,
      (err: ServiceError | null) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '' }),
    ),
  );
  expect(answer.code).toBe(status.INVALID_ARGUMENT);
  expect(answer.details).toMatch(/^parameters.timeout must be an int64_param of microseconds/);
}, 60_000);
