// Deadlines travel, on real servers running a slow ONNX model in one worker thread: a client's
// time limit reaches the server, which refuses the call at it, and a pipeline or an ensemble
// passes its request's deadline on to the server it calls, which gives up at the same moment.
import { type GraphPipeError, RemoteModel } from '@graphpipe/client';
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { ERROR_CODE_HEADER, encodeInferRequest, tensor } from '@graphpipe/protocol';
import { modelPath, rejection } from '@graphpipe/test-utils';
import type { Backend } from '@graphpipe/server-core';
import { describe, expect, test, vi } from 'vitest';
import { createEnsembleBackend, createPipelineBackend, createRemoteBackend } from '../src/index.js';
import { start } from './helpers.js';

/** busy-loop adds 1 to a counter as many times as asked (`iterations` → `count`), a microsecond or so each. */
const busyLoop = () => createOnnxBackend(modelPath('busy-loop.onnx'), { workers: 1, intraOpNumThreads: 1 });
/** A run of seconds, far beyond the deadlines here; the test waits for it only as the servers close. */
const LONG = 3_000_000;
const loop = (n: number) => ({ iterations: tensor(BigInt64Array.of(BigInt(n)), [], 'int64') });
const modelUrl = (url: string, protocol: string) => (protocol === 'v2' ? `${url}/v2/models/busy-loop` : url);

/** The server's count of requests answered at their deadline before busy-loop answered them. */
async function timeouts(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^graphpipe_request_timeouts_total\{model="busy-loop",version="1"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

test.each(['graphpipe', 'v2'])(
  'a %s call with a 300 ms time limit, queued on a busy server, is refused there at its deadline',
  async (protocol) => {
    const server = await start(await busyLoop());
    // Busy for seconds: a server that ignored the call's limit would run it after this.
    const busy = fetch(server.url, {
      method: 'POST',
      body: encodeInferRequest({ inputs: [loop(LONG).iterations] }),
      headers: { 'grpc-timeout': '10S' },
    });
    await vi.waitFor(() => expect(server.core.load().running).toBe(1));

    // A fetch that keeps waiting after the client gives up, so the test sees what the server answered.
    const answers: Promise<Response>[] = [];
    const model = new RemoteModel(modelUrl(server.url, protocol), {
      timeoutMs: 300,
      fetch: (input, init) => {
        const answer = fetch(input, { ...init, signal: undefined });
        answers.push(answer);
        return answer;
      },
    });
    const err = (await rejection(model.infer(loop(3), { outputNames: ['count'] }))) as GraphPipeError;
    expect(err.code).toBe('DEADLINE_EXCEEDED');

    // The server itself answered at the deadline, without running it (v2 answers 503, as Triton).
    const answer = await answers[0]!;
    expect(answer.status).toBe(protocol === 'v2' ? 503 : 504);
    expect(answer.headers.get(ERROR_CODE_HEADER)).toBe('DEADLINE_EXCEEDED');
    // The client read the server's words as it gave up: they are its error's cause.
    expect((err.cause as GraphPipeError).message).toMatch(/Request timeout expired: model \\?"busy-loop\\?"/);
    expect(await timeouts(server.url)).toBe(1);
    await busy;
  },
  120_000,
);

/** The compositions that call a remote member: a one-stage pipeline, and an ensemble of one. */
const COMPOSITIONS = {
  pipeline: (member: Backend) => createPipelineBackend({ name: 'relay', stages: [{ name: 'far', backend: member }] }),
  ensemble: (member: Backend) =>
    createEnsembleBackend({ name: 'relay', members: { far: member }, combine: { count: ([only]) => only! } }),
};

describe.each(['pipeline', 'ensemble'] as const)('a two-hop %s', (composition) => {
  test.each(['graphpipe', 'v2'])(
    'gives up on the far server (over %s) at the deadline too',
    async (protocol) => {
      const far = await start(await busyLoop());
      const member = await createRemoteBackend(modelUrl(far.url, protocol));
      const near = await start(COMPOSITIONS[composition](member));

      const call = new RemoteModel(near.url, { timeoutMs: 300 }).infer(loop(LONG), { outputNames: ['count'] });
      expect(((await rejection(call)) as GraphPipeError).code).toBe('DEADLINE_EXCEEDED');
      // The far server was told the deadline: it answered its run at it (counted), rather than
      // running on for seconds for a caller long gone, as it would with no deadline of its own.
      await vi.waitFor(async () => expect(await timeouts(far.url)).toBe(1), { timeout: 30_000, interval: 50 });
    },
    120_000,
  );
});
