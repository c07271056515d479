import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteModel } from '@graphpipe/client';
import { tensor } from '@graphpipe/protocol';
import { afterAll, describe, expect, test } from 'vitest';
import { otlpTarget } from '../src/tracing.js';
import { cliBin, startUntil, stop } from './helpers.js';

/** An OTLP/HTTP collector that keeps the spans it is sent (JSON, as the exporter sends them). */
async function collector() {
  const spans: OtlpSpan[] = [];
  const resources: Record<string, string>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        for (const r of (JSON.parse(body) as OtlpExport).resourceSpans) {
          resources.push(Object.fromEntries(r.resource.attributes.map((a) => [a.key, a.value.stringValue ?? ''])));
          for (const s of r.scopeSpans) spans.push(...s.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  afterAll(() => void server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, resources };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpSpan['attributes'] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

describe('graphpipe serve with OpenTelemetry', () => {
  test("exports each request's spans over OTLP, under the caller's traceparent, flushed before it exits", async () => {
    const otlp = await collector();
    const { child, match } = await startUntil(
      process.execPath,
      [cliBin, 'serve', 'models/iris-classifier.onnx', '--port', '0', '--shutdown-grace', '0', '-q'],
      /serving \S+ on (http:\S+)/,
      // The standard variables: the exporter adds /v1/traces to the endpoint.
      { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'iris-under-test' },
    );
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const caller = 'b7ad6b7169203331';
    const model = new RemoteModel(match[1]!, { headers: { traceparent: `00-${traceId}-${caller}-01` } });
    await model.infer(tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]));
    // The batch processor would wait seconds before exporting: the spans arrive because exit flushes them.
    expect(await stop(child)).toBe(0);

    const mine = otlp.spans.filter((s) => s.traceId === traceId);
    const inference = mine.find(
      (s) => s.parentSpanId === caller && s.attributes.some((a) => a.value.stringValue === 'infer'),
    );
    expect(inference?.name).toBe('POST *');
    const children = mine.filter((s) => s.parentSpanId === inference!.spanId).map((s) => s.name);
    expect(children.sort()).toEqual(['backend run', 'encode', 'read body', 'write']);
    expect(otlp.resources[0]).toMatchObject({ 'service.name': 'iris-under-test' });
  });
});

describe('otlpTarget', () => {
  test('--otlp-endpoint is a base URL, the variables are left to the exporter, and OTEL_SDK_DISABLED wins', () => {
    expect(otlpTarget('http://collector:4318/', {})).toEqual({ url: 'http://collector:4318/v1/traces' });
    expect(otlpTarget(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({});
    expect(otlpTarget(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' })).toEqual({});
    expect(otlpTarget(undefined, {})).toBeUndefined();
    expect(otlpTarget('http://collector:4318', { OTEL_SDK_DISABLED: 'true' })).toBeUndefined();
  });
});
