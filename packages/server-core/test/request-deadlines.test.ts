// Request deadlines on real servers (Node's listener, and the web entry's fetch handler): the
// grpc-timeout header and the server's default on every route, v2's `timeout` parameter.
import { ERROR_CODE_HEADER, encodeInferRequest, type GraphPipeError, tensor } from '@graphpipe/protocol';
import {
  type Backend,
  createFetchHandler,
  createFunctionBackend,
  createServerCore,
  type FunctionContext,
  type ServerCoreOptions,
} from '@graphpipe/server-core';
import { describe, expect, test, vi } from 'vitest';
import { gate, sleep, useServers } from './helpers.js';

const start = useServers();

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}
type Send = (path: string, body: Uint8Array | string, headers?: Record<string, string>) => Promise<Answer>;

/** The two entry points, each behind the same `send`: Node's server, and the web fetch handler. */
const ENTRIES: Record<string, (backend: Backend, options?: Omit<ServerCoreOptions, 'metrics'>) => Promise<Send>> = {
  node: async (backend, options) => {
    const { url } = await start(backend, options);
    return async (path, body, headers = {}) => {
      const res = await fetch(`${url}${path}`, { method: 'POST', body, headers });
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
  },
  web: async (backend, options) => {
    const handle = createFetchHandler(createServerCore(backend, options));
    return async (path, body, headers = {}) => {
      const res = await handle(new Request(`http://server${path}`, { method: 'POST', body, headers }));
      return { status: res.status, headers: res.headers, text: await res.text() };
    };
  },
};

const ONE = tensor(new Float32Array([1]), [1, 1]);
const graphpipe = encodeInferRequest({ inputs: [ONE] });
/** A v2 request for the function backends' one input, with these parameters. */
const v2 = (parameters: Record<string, unknown> = {}) =>
  JSON.stringify({ inputs: [{ name: 'input0', shape: [1, 1], datatype: 'FP32', data: [1] }], parameters });

/** One inference at a time, each held until the test lets it go; records each call's context. */
function held(name = 'held') {
  const calls: FunctionContext[] = [];
  const release = gate();
  const backend = createFunctionBackend(
    async (inputs, context) => {
      calls.push(context);
      await release.promise;
      return inputs.input0!;
    },
    { name, concurrency: 1 },
  );
  return { backend, calls, release };
}

describe.each(Object.keys(ENTRIES))('deadlines (%s entry)', (entry) => {
  const serveWith = ENTRIES[entry]!;

  test('a request still queued at its deadline is answered without running: GraphPipe 504, v2 503 as Triton', async () => {
    const { backend, calls, release } = held();
    const send = await serveWith(backend);
    const first = send('/', graphpipe);
    await vi.waitFor(() => expect(calls).toHaveLength(1));

    const late = await send('/', graphpipe, { 'grpc-timeout': '50m' });
    expect(late.status).toBe(504);
    expect(late.headers.get(ERROR_CODE_HEADER)).toBe('DEADLINE_EXCEEDED');
    expect(late.text).toMatch(/^Request timeout expired: model "held" did not answer before the request's deadline/);

    const lateV2 = await send('/v2/models/held/infer', v2({ timeout: 50_000 }));
    expect(lateV2.status).toBe(503);
    expect(lateV2.headers.get('retry-after')).toBeNull();
    expect(JSON.parse(lateV2.text).error).toMatch(/^Request timeout expired/);

    release.open();
    expect((await first).status).toBe(200);
    // Neither of the two that timed out ever reached the model.
    expect(calls).toHaveLength(1);
  });

  test("a running request is answered at its deadline, and the model's signal says why", async () => {
    const { backend, calls, release } = held();
    const send = await serveWith(backend, { requestTimeoutMs: 100 });
    const answer = await send('/', graphpipe);
    expect(answer.status).toBe(504);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.signal.aborted).toBe(true);
    expect((calls[0]!.signal.reason as GraphPipeError).code).toBe('DEADLINE_EXCEEDED');
    release.open();
    // The server goes on serving; a caller's own deadline replaces the default.
    expect((await send('/', graphpipe, { 'grpc-timeout': '30S' })).status).toBe(200);
  });
});

test("the caller's deadline replaces the server's default; 0 (v2) leaves the default", async () => {
  const remaining: (number | undefined)[] = [];
  const backend = createFunctionBackend(
    async (inputs, { deadline }) => {
      remaining.push(deadline === undefined ? undefined : deadline - performance.now());
      // A run that takes a moment: a deadline timer set wrongly (too far off, so firing at once) would beat it.
      await sleep(20);
      return inputs.input0!;
    },
    { name: 'timed' },
  );
  const send = await ENTRIES.node!(backend, { requestTimeoutMs: 20_000 });
  const sent = [
    send('/', graphpipe),
    send('/', graphpipe, { 'grpc-timeout': '2M' }),
    send('/v2/models/timed/infer', v2({ timeout: 60_000_000 })),
    send('/v2/models/timed/infer', v2({ timeout: 0 })),
    // Further off than a timer can wait (a timer set for them would fire at once).
    send('/', graphpipe, { 'grpc-timeout': '99999999H' }),
    send('/v2/models/timed/infer', v2({ timeout: Number.MAX_SAFE_INTEGER })),
  ];
  for (const answer of await Promise.all(sent)) expect(answer.status).toBe(200);
  const [byDefault, twoMinutes, aMinute, zero] = remaining as number[];
  expect(byDefault).toBeLessThanOrEqual(20_000);
  expect(twoMinutes).toBeGreaterThan(100_000);
  expect(aMinute).toBeGreaterThan(40_000);
  expect(aMinute).toBeLessThanOrEqual(60_000);
  expect(zero).toBeLessThanOrEqual(20_000);
  expect(remaining.slice(4).every((ms) => ms! > 1e9)).toBe(true);

  const none = createFunctionBackend(
    (inputs, { deadline }) => {
      remaining.push(deadline);
      return inputs.input0!;
    },
    { name: 'untimed' },
  );
  expect((await (await ENTRIES.web!(none))('/', graphpipe)).status).toBe(200);
  expect(remaining.at(-1)).toBeUndefined();
});

test('a malformed grpc-timeout or timeout parameter is a 400 that says the form', async () => {
  const send = await ENTRIES.node!(createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' }));
  for (const value of ['10', '5s', '123456789m', '-1m', 'soon']) {
    const answer = await send('/', graphpipe, { 'grpc-timeout': value });
    expect(answer.status, value).toBe(400);
    expect(answer.text).toMatch(/^grpc-timeout must be 1 to 8 digits and a unit/);
  }
  for (const timeout of [-1, 1.5, '100', true]) {
    const answer = await send('/v2/models/echo/infer', v2({ timeout }));
    expect(answer.status, String(timeout)).toBe(400);
    expect(JSON.parse(answer.text).error).toMatch(/^parameters.timeout must be a whole number of microseconds/);
  }
});

test('a request whose deadline passes while it waits for its batch leaves the batch', async () => {
  const runs: number[] = [];
  const backend = createFunctionBackend(
    (inputs) => {
      runs.push(inputs.x!.shape[0]!);
      return inputs.x!;
    },
    { name: 'batched', inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 1] }] },
  );
  // A batch of two runs when full, and otherwise only after a minute.
  const send = await ENTRIES.node!(backend, { batching: { maxBatchSize: 2, maxDelayMs: 60_000 } });
  const row = encodeInferRequest({ inputs: [ONE], inputNames: ['x'] });
  expect((await send('/', row, { 'grpc-timeout': '50m' })).status).toBe(504);
  // Had the request that left stayed, the next would fill its batch and the last would wait a minute.
  const both = await Promise.all([send('/', row), send('/', row)]);
  expect(both.map((a) => a.status)).toEqual([200, 200]);
  expect(runs).toEqual([2]);
});

test('the metrics count timeouts by model', async () => {
  const { backend, release } = held('counted');
  const { url } = await start(backend, { requestTimeoutMs: 50 });
  const post = () => fetch(url, { method: 'POST', body: graphpipe });
  expect((await post()).status).toBe(504);
  expect((await post()).status).toBe(504);
  release.open();
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(/^graphpipe_request_timeouts_total\{model="counted",version="1"\} 2$/m);
});
