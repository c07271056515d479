// Request deadlines on real servers running a slow ONNX model in one worker thread, on both
// protocols, through Node's server and through the web entry's fetch handler: a run past its
// deadline is answered then and abandoned (its worker replaced), and a request queued behind it
// is answered at its own deadline without ever running.
import { ERROR_CODE_HEADER, encodeInferRequest, tensor } from '@graphpipe/protocol';
import { createFetchHandler, createServerCore, type ServerCore } from '@graphpipe/server-core';
import { serve } from '@graphpipe/server-core/node';
import { closeAfter, modelPath } from '@graphpipe/test-utils';
import { expect, test, vi } from 'vitest';
import { createOnnxBackend } from '../src/index.js';

/** busy-loop adds 1 to a counter as many times as asked, a few microseconds each. */
const LOOP = modelPath('busy-loop.onnx');
/** A run of several seconds, far beyond the deadlines here; the test waits for it only as the server closes. */
const LONG = 1_000_000;
/** One thread per run: onnxruntime's spinning pool threads would starve the server's own thread. */
const OPTIONS = { workers: 1, intraOpNumThreads: 1 };

const closing = closeAfter('each');

interface Answer {
  status: number;
  code: string | null;
  text: string;
}
interface Entry {
  core: ServerCore;
  post(path: string, body: Uint8Array | string, headers?: Record<string, string>): Promise<Answer>;
  get(path: string): Promise<string>;
  /** Waits for the abandoned run to end (its worker can only stop then). */
  close(): Promise<void>;
}

const read = async (res: Response): Promise<Answer> => ({
  status: res.status,
  code: res.headers.get(ERROR_CODE_HEADER),
  text: await res.text(),
});

async function nodeEntry(): Promise<Entry> {
  const backend = await createOnnxBackend(LOOP, OPTIONS);
  const server = closing(await serve(backend, { port: 0, logger: false }));
  return {
    core: server.core,
    post: async (path, body, headers = {}) =>
      read(await fetch(`${server.url}${path}`, { method: 'POST', body, headers })),
    get: async (path) => (await fetch(`${server.url}${path}`)).text(),
    close: () => server.close(),
  };
}

async function webEntry(): Promise<Entry> {
  const core = createServerCore(await createOnnxBackend(LOOP, OPTIONS));
  closing({ close: () => core.close() });
  const handle = createFetchHandler(core);
  return {
    core,
    post: async (path, body, headers = {}) =>
      read(await handle(new Request(`http://server${path}`, { method: 'POST', body, headers }))),
    get: async (path) => (await handle(new Request(`http://server${path}`))).text(),
    close: () => core.close(),
  };
}

const graphpipe = (n: number) => encodeInferRequest({ inputs: [tensor(BigInt64Array.of(BigInt(n)), [], 'int64')] });
const v2 = (n: number, timeoutUs?: number) =>
  JSON.stringify({
    inputs: [{ name: 'iterations', shape: [], datatype: 'INT64', data: [n] }],
    ...(timeoutUs === undefined ? {} : { parameters: { timeout: timeoutUs } }),
  });

/** Runs that completed on the model (GET …/stats): a request that timed out in the queue never ran. */
async function executions(entry: Entry): Promise<number> {
  const stats = JSON.parse(await entry.get('/v2/models/busy-loop/stats')) as {
    model_stats: { execution_count: number }[];
  };
  return stats.model_stats[0]!.execution_count;
}

test.each([
  { name: 'node', open: nodeEntry, protocol: 'graphpipe' },
  { name: 'web', open: webEntry, protocol: 'v2' },
] as const)(
  '$name entry: a $protocol run past its deadline is answered then and abandoned; the one queued behind it never runs',
  async ({ open, protocol }) => {
    const entry = await open();
    // The long run, with a deadline, on GraphPipe or v2; the queued one on the other protocol.
    const long =
      protocol === 'graphpipe'
        ? entry.post('/', graphpipe(LONG), { 'grpc-timeout': '300m' })
        : entry.post('/v2/models/busy-loop/infer', v2(LONG, 300_000));
    await vi.waitFor(() => expect(entry.core.load().running).toBe(1));
    const queued =
      protocol === 'graphpipe'
        ? entry.post('/v2/models/busy-loop/infer', v2(3, 100_000))
        : entry.post('/', graphpipe(3), { 'grpc-timeout': '100m' });

    const [longAnswer, queuedAnswer] = await Promise.all([long, queued]);
    const statusOf = (p: string) => (p === 'graphpipe' ? 504 : 503);
    expect(longAnswer).toMatchObject({ status: statusOf(protocol), code: 'DEADLINE_EXCEEDED' });
    expect(longAnswer.text).toMatch(/Request timeout expired: model \\?"busy-loop\\?"/);
    const other = protocol === 'graphpipe' ? 'v2' : 'graphpipe';
    expect(queuedAnswer).toMatchObject({ status: statusOf(other), code: 'DEADLINE_EXCEEDED' });

    // Abandoned, the run gave its slot back as it was answered, though it goes on in its retired
    // worker for seconds; had it been kept, the slot would be busy until it ended.
    expect(entry.core.load().running).toBe(0);
    expect((await entry.post('/', graphpipe(3))).status).toBe(200);
    // Only that last one ran to its end: the queued request never reached the model.
    expect(await executions(entry)).toBe(1);
    // Here rather than after the test: closing waits out the abandoned run, longer than a hook may take.
    await entry.close();
  },
  120_000,
);
