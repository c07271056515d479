import { RemoteModel, tensor } from '@graphpipe/client';
import { GRPCInferenceService, Health, inferRequest } from '@graphpipe/protocol/grpc';
import { createFetchHandler, createFunctionBackend, createServerCore } from '@graphpipe/server-core';
import { idsOf, type ReadableSpan, startTracing } from '@graphpipe/test-utils/tracing';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterAll, describe, expect, test, vi } from 'vitest';
import { ok, useGrpcClients } from './grpc-helpers.js';
import { useServers } from './helpers.js';

// Registered before the first request, as an application registers its SDK before serving.
const tracing = startTracing();
afterAll(() => tracing.stop());
const start = useServers();
const grpcClient = useGrpcClients();

const double = (name: string) =>
  createFunctionBackend(
    ({ x }) =>
      tensor(
        (x!.data as Float32Array).map((v) => v * 2),
        x!.shape,
      ),
    {
      name,
      inputs: [{ name: 'x', dtype: 'float32', shape: [-1, 2] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [-1, 2] }],
    },
  );

let callers = 0;
/** A caller's own span, as a W3C traceparent: a fresh trace id and span id each time. */
function callerSpan() {
  const n = (++callers).toString(16);
  const traceId = n.padStart(32, 'a');
  const spanId = n.padStart(16, 'b');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The spans of one trace once its server span has ended (the span ends once the answer is written). */
async function traceOf(traceId: string, count: number): Promise<ReadableSpan[]> {
  const mine = () => tracing.spans().filter((s) => s.spanContext().traceId === traceId);
  await vi.waitFor(() => expect(mine().length).toBeGreaterThanOrEqual(count), { timeout: 20_000 });
  return mine();
}

/** The one span of this name among `spans` (under `parent`, when given). */
function named(spans: readonly ReadableSpan[], name: string, parent?: ReadableSpan): ReadableSpan {
  const found = spans.filter((s) => s.name === name && (!parent || idsOf(s).parentId === idsOf(parent).spanId));
  expect(found.map((s) => s.name)).toEqual([name]);
  return found[0]!;
}

/** The server span of the inference among `spans` (the client may have asked for the metadata first). */
function inference(spans: readonly ReadableSpan[], route: string): ReadableSpan {
  return named(
    spans.filter((s) => s.attributes['graphpipe.request.kind'] === 'infer'),
    route,
  );
}

/** The inference's server span under the caller's span, and its stages as children. */
function expectRequestTree(spans: readonly ReadableSpan[], caller: { spanId: string }, route: string) {
  const server = inference(spans, route);
  expect(server.kind).toBe(SpanKind.SERVER);
  expect(idsOf(server).parentId).toBe(caller.spanId);
  for (const stage of ['read body', 'backend run', 'encode', 'write']) named(spans, stage, server);
  return server;
}

describe('tracing', () => {
  test("a GraphPipe request is a server span under the caller's traceparent, with its stages as children", async () => {
    const server = await start(double('gp'));
    const caller = callerSpan();
    const model = new RemoteModel(`${server.url}/models/gp`, { headers: { traceparent: caller.traceparent } });
    await model.infer(tensor(new Float32Array([1, 2, 3, 4]), [2, 2]));
    const spans = await traceOf(caller.traceId, 5);
    const span = expectRequestTree(spans, caller, 'POST /models/:name');
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/models/:name',
      'url.path': '/models/gp',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'http.response.status_code': 200,
      'graphpipe.protocol': 'graphpipe',
      'graphpipe.model.name': 'gp',
      'graphpipe.model.version': '1',
      'graphpipe.request.kind': 'infer',
      'graphpipe.request.rows': 2,
    });
  });

  test('an Open Inference Protocol request too, and its failure says why', async () => {
    const server = await start(double('v2'));
    const caller = callerSpan();
    const post = (data: number[]) =>
      fetch(`${server.url}/v2/models/v2/infer`, {
        method: 'POST',
        headers: { traceparent: caller.traceparent, 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data }] }),
      });
    expect((await post([1, 2])).status).toBe(200);
    const span = expectRequestTree(await traceOf(caller.traceId, 5), caller, 'POST /v2/models/:name/infer');
    expect(span.attributes).toMatchObject({ 'graphpipe.protocol': 'v2', 'http.response.status_code': 200 });

    expect((await post([1])).status).toBe(400);
    await vi.waitFor(() => expect(tracing.spans().filter((s) => s.attributes['error.type'])).toHaveLength(1));
    const failed = tracing.spans().find((s) => s.attributes['error.type'])!;
    expect(failed.attributes).toMatchObject({ 'http.response.status_code': 400, 'error.type': 'INVALID_ARGUMENT' });
    expect(idsOf(failed).parentId).toBe(caller.spanId);
  });

  test("the web entry (fetch handler: Bun, Deno, Workers) takes the caller's traceparent too", async () => {
    const core = createServerCore(double('web'));
    const handler = createFetchHandler(core);
    const caller = callerSpan();
    const response = await handler(
      new Request('http://example.test:8787/v2/models/web/infer', {
        method: 'POST',
        headers: { traceparent: caller.traceparent, 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [1, 2] }] }),
      }),
    );
    expect(response.status).toBe(200);
    const span = expectRequestTree(await traceOf(caller.traceId, 5), caller, 'POST /v2/models/:name/infer');
    expect(span.attributes).toMatchObject({ 'graphpipe.protocol': 'v2', 'http.response.status_code': 200 });
    await core.close();
  });

  test('a batch run is one span, linked to the span of every request in it', async () => {
    const server = await start(double('batched'), { batching: { maxBatchSize: 4, maxDelayMs: 60_000 } });
    const callers = [callerSpan(), callerSpan(), callerSpan(), callerSpan()];
    // Four one-row requests fill the batch, which runs at once (the delay is never reached).
    await Promise.all(
      callers.map((caller, i) =>
        new RemoteModel(server.url, { headers: { traceparent: caller.traceparent } }).infer(
          tensor(new Float32Array([i, i]), [1, 2]),
        ),
      ),
    );
    const requests = await Promise.all(callers.map((c) => traceOf(c.traceId, 4)));
    await vi.waitFor(() => expect(tracing.spans().filter((s) => s.name === 'batch')).toHaveLength(1));
    const batch = tracing.spans().find((s) => s.name === 'batch')!;
    const serverSpans = requests.map((spans) => inference(spans, 'POST *'));
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(serverSpans.map((s) => idsOf(s).spanId).sort());
    expect(batch.attributes).toMatchObject({ 'graphpipe.batch.requests': 4, 'graphpipe.batch.rows': 4 });
    // The batch belongs to one of the requests' traces; the model's one run is its child.
    expect(serverSpans.map((s) => idsOf(s).spanId)).toContain(idsOf(batch).parentId);
    const run = tracing.spans().filter((s) => s.name === 'backend run' && idsOf(s).parentId === idsOf(batch).spanId);
    expect(run).toHaveLength(1);
    expect(run[0]!.attributes['graphpipe.batch.rows']).toBe(4);
    // Each request waited for its batch.
    for (const [i, spans] of requests.entries()) {
      named(spans, 'queue wait', serverSpans[i]);
    }
  });

  test('probes are not traced', async () => {
    const server = await start(double('probed'));
    const before = tracing.spans().length;
    const caller = callerSpan();
    for (const path of ['/v2/health/ready', '/v2/health/live', '/metrics']) {
      expect((await fetch(`${server.url}${path}`, { headers: { traceparent: caller.traceparent } })).ok).toBe(true);
    }
    // A traced request after them: once its spans are in, the probes' would be too.
    await new RemoteModel(server.url, { headers: { traceparent: caller.traceparent } }).infer(
      tensor(new Float32Array([1, 2]), [1, 2]),
    );
    const spans = await traceOf(caller.traceId, 5);
    expect(spans.map((s) => s.name).filter((n) => n.startsWith('GET'))).toEqual([]);
    expect(tracing.spans().length - before).toBe(spans.length);
  });

  test('a gRPC call is a server span under the traceparent in its metadata, with rpc.* attributes and the same stages', async () => {
    const server = await start(double('rpc'), { grpc: { port: 0 } });
    const raw = grpcClient(server.grpc!.url);
    const caller = callerSpan();
    const headers = { traceparent: caller.traceparent };
    const x = { name: 'x', tensor: tensor(new Float32Array([1, 2, 3, 4]), [2, 2]) };
    ok(
      await raw.call(GRPCInferenceService.method.modelInfer, inferRequest({ modelName: 'rpc', inputs: [x] }), headers),
    );
    const span = expectRequestTree(
      await traceOf(caller.traceId, 5),
      caller,
      'inference.GRPCInferenceService/ModelInfer',
    );
    expect(span.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'inference.GRPCInferenceService',
      'rpc.method': 'ModelInfer',
      'rpc.grpc.status_code': 0,
      'graphpipe.protocol': 'grpc',
      'graphpipe.model.name': 'rpc',
      'graphpipe.request.rows': 2,
    });
    expect(Object.keys(span.attributes).filter((k) => k.startsWith('http.'))).toEqual([]);

    // A caller's mistake: its status code, and the span is not in error (OpenTelemetry's RPC conventions).
    const other = callerSpan();
    const missing = await raw.call(
      GRPCInferenceService.method.modelInfer,
      inferRequest({ modelName: 'nope', inputs: [x] }),
      { traceparent: other.traceparent },
    );
    expect(missing.ok).toBe(false);
    const failed = named(await traceOf(other.traceId, 2), 'inference.GRPCInferenceService/ModelInfer');
    expect(failed.attributes).toMatchObject({ 'rpc.grpc.status_code': 5, 'error.type': 'NOT_FOUND' });
    expect(failed.status.code).toBe(SpanStatusCode.UNSET);
    expect(idsOf(failed).parentId).toBe(other.spanId);

    // Probes (the health service, liveness, readiness) are not traced.
    const before = tracing.spans().length;
    const probe = callerSpan();
    ok(await raw.call(Health.method.check, { service: '' }, { traceparent: probe.traceparent }, Health));
    ok(await raw.call(GRPCInferenceService.method.serverReady, {}, { traceparent: probe.traceparent }));
    ok(await raw.call(GRPCInferenceService.method.modelReady, { name: 'rpc' }, { traceparent: probe.traceparent }));
    // The last one (a model's readiness, as the REST protocol traces it) is traced: once its span is in, the probes' would be.
    const traced = await traceOf(probe.traceId, 4);
    const servers = traced.filter((s) => s.kind === SpanKind.SERVER).map((s) => s.name);
    expect(servers).toEqual(['inference.GRPCInferenceService/ModelReady']);
    expect(tracing.spans().length - before).toBe(traced.length);
  });
});
