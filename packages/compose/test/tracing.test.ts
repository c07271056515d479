import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { RemoteModel } from '@graphpipe/client';
import { serve } from '@graphpipe/server-core/node';
import { closeAfter, modelPath } from '@graphpipe/test-utils';
import { idsOf, type ReadableSpan, startTracing } from '@graphpipe/test-utils/tracing';
import { SpanKind, trace } from '@opentelemetry/api';
import { afterAll, expect, it, vi } from 'vitest';
import { createPipelineBackend, createRemoteBackend } from '../src/index.js';
import { irisRows } from './helpers.js';

// Registered before the first request, as an application registers its SDK before serving.
const tracing = startTracing();
afterAll(() => tracing.stop());
const closing = closeAfter('each');

/** The one span among `spans` with this name and parent. */
function child(spans: readonly ReadableSpan[], parent: ReadableSpan, name: string): ReadableSpan {
  const found = spans.filter((s) => s.name === name && idsOf(s).parentId === idsOf(parent).spanId);
  expect(
    found.map((s) => s.name),
    `${name} under ${parent.name}`,
  ).toEqual([name]);
  return found[0]!;
}

/** The server span of an inference under `parent` (the metadata a client asks for first has its own). */
function inferenceUnder(spans: readonly ReadableSpan[], parent: ReadableSpan, route: string): ReadableSpan {
  return child(
    spans.filter((s) => s.attributes['graphpipe.request.kind'] === 'infer'),
    parent,
    route,
  );
}

it('one trace spans a pipeline across two servers: caller, pipeline, stage, remote model', async () => {
  // The far server runs the Iris model; the near one serves a pipeline whose stage is that model, remote.
  const far = closing(
    await serve(await createOnnxBackend(modelPath('iris-classifier.onnx')), { port: 0, logger: false }),
  );
  const remote = await createRemoteBackend(far.url);
  const pipeline = createPipelineBackend({ name: 'iris-pipeline', stages: [{ name: 'classify', backend: remote }] });
  const near = closing(await serve(pipeline, { port: 0, logger: false }));

  // The caller's own span is active while it calls: the client sends it as the traceparent.
  const { features } = irisRows(3);
  const { caller, answer } = await trace.getTracer('test').startActiveSpan('caller', { root: true }, async (span) => {
    try {
      return { caller: span, answer: await new RemoteModel(`${near.url}/models/iris-pipeline`).infer(features) };
    } finally {
      span.end();
    }
  });
  expect(answer.byName.label!.shape).toEqual([3]);

  // The far server's run is the last span of the chain to end.
  const { traceId } = caller.spanContext();
  const spans = () => tracing.spans().filter((s) => s.spanContext().traceId === traceId);
  await vi.waitFor(() => expect(spans().filter((s) => s.name === 'backend run')).toHaveLength(2), { timeout: 20_000 });
  await vi.waitFor(() => expect(spans().filter((s) => s.name === 'POST *')).toHaveLength(1), { timeout: 20_000 });
  const all = spans();
  const callerSpan = all.find((s) => s.name === 'caller')!;
  const nearServer = inferenceUnder(all, callerSpan, 'POST /models/:name');
  expect(nearServer.kind).toBe(SpanKind.SERVER);
  expect(nearServer.attributes['graphpipe.model.name']).toBe('iris-pipeline');
  const nearRun = child(all, nearServer, 'backend run');
  const stage = child(all, nearRun, 'stage classify');
  expect(stage.attributes['graphpipe.stage.location']).toBe(remote.url);
  const farServer = inferenceUnder(all, stage, 'POST *');
  expect(farServer.kind).toBe(SpanKind.SERVER);
  expect(farServer.attributes).toMatchObject({
    'graphpipe.model.name': 'iris-classifier',
    'graphpipe.request.rows': 3,
  });
  for (const name of ['read body', 'backend run', 'encode', 'write']) child(all, farServer, name);
});
