// The deadline a grpc:// call carries, as a bare @grpc/grpc-js server on a loopback port sees it.
import { RemoteModel } from '@graphpipe/client';
import { type Deadline, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { rejection } from '@graphpipe/test-utils';
import { afterAll, expect, test } from 'vitest';

const bytes = (b: Buffer) => b;
/** ModelMetadata, answered UNAVAILABLE once the server has noted the call's deadline. */
const METADATA = {
  path: '/inference.GRPCInferenceService/ModelMetadata',
  requestStream: false,
  responseStream: false,
  requestSerialize: bytes,
  requestDeserialize: bytes,
  responseSerialize: bytes,
  responseDeserialize: bytes,
} as const;

const deadlines: Deadline[] = [];
const server = new Server();
server.addService(
  { ModelMetadata: METADATA },
  {
    ModelMetadata: (call: { getDeadline(): Deadline }, reply: (err: { code: number; details: string }) => void) => {
      deadlines.push(call.getDeadline());
      reply({ code: status.UNAVAILABLE, details: 'noted' });
    },
  },
);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
);
afterAll(() => server.forceShutdown());

/** How far off the deadline of the server's latest call was, in ms (Infinity: none). */
const lastDeadlineMs = () => {
  const deadline = deadlines.at(-1)!;
  return deadline === Infinity ? Infinity : new Date(deadline).getTime() - Date.now();
};

test('a grpc:// call carries its time limit, or its deadline, as the gRPC deadline; a caller-set grpc-timeout goes alone', async () => {
  const url = `grpc://127.0.0.1:${port}/models/any`;
  const ask = async (model: RemoteModel, options = {}) => {
    await rejection(model.metadata(options));
    model.close();
    return lastDeadlineMs();
  };
  const limited = await ask(new RemoteModel(url, { timeoutMs: 60_000 }));
  expect(limited).toBeGreaterThan(0);
  expect(limited).toBeLessThanOrEqual(60_000);
  const byDeadline = await ask(new RemoteModel(url, { timeoutMs: 60_000 }), { deadline: performance.now() + 30_000 });
  expect(byDeadline).toBeGreaterThan(0);
  expect(byDeadline).toBeLessThanOrEqual(30_000);
  expect(await ask(new RemoteModel(url))).toBe(Infinity);
  // The caller's own header is the deadline the server sees, not the client's limit.
  const own = await ask(new RemoteModel(url, { timeoutMs: 60_000, headers: { 'Grpc-Timeout': '2M' } }));
  expect(own).toBeGreaterThan(60_000);
  expect(own).toBeLessThanOrEqual(120_000);
});
