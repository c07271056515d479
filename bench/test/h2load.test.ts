import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeInferRequest, tensor } from '@graphpipe/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SMALL_VALUES } from '../src/data.js';
import { encoded, grpcCaller, grpcFrame, INFER_PATH } from '../src/grpc-call.js';
import { h2load, h2loadMissing } from '../src/h2load.js';
import { type ServerProcess, startServer } from '../src/server-process.js';

// h2load is a system package (Debian: nghttp2-client), present on some machines only.
describe.skipIf(h2loadMissing() !== undefined)('h2load against the gRPC server', () => {
  let server: ServerProcess;
  let dir: string;
  let job: Parameters<typeof h2load>[0];
  const call = encoded(SMALL_VALUES, [1, 4]);

  beforeAll(async () => {
    server = await startServer('graphpipe-grpc');
    dir = mkdtempSync(join(tmpdir(), 'bench-h2load-test-'));
    writeFileSync(join(dir, 'grpc.bin'), grpcFrame(call.bytes));
    const caller = grpcCaller(server.url);
    const answer = await caller.call(call.bytes).finally(() => caller.close());
    job = {
      h1: false,
      connections: 1,
      streams: 4,
      requests: 40,
      url: `${server.url.replace('grpc://', 'http://')}${INFER_PATH}`,
      body: join(dir, 'grpc.bin'),
      headers: ['content-type: application/grpc', 'te: trailers'],
      answerBytes: grpcFrame(answer).length,
    };
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('counts the requests of a run whose every call succeeded', async () => {
    const run = await h2load(job);
    expect(run.requests).toBe(40);
    expect(run.seconds).toBeGreaterThan(0);
  });

  it('fails a run whose calls failed in gRPC terms, though their HTTP status was 200', async () => {
    // A GraphPipe body is no ModelInferRequest: every call ends with an error status in its trailers.
    const wrong = join(dir, 'graphpipe.bin');
    writeFileSync(wrong, grpcFrame(encodeInferRequest({ inputs: [tensor(SMALL_VALUES, [1, 4])] })));
    await expect(h2load({ ...job, body: wrong })).rejects.toThrow(/bytes of data where 40 answers/);
  });
});
