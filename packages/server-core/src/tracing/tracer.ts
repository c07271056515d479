import { isSpanContextValid, type Tracer, trace } from '@opentelemetry/api';

/** The name the server's spans are made under (the instrumentation scope). */
export const TRACER_NAME = '@graphpipe/server-core';

let installed: Tracer | null | undefined;

/**
 * The tracer, when an OpenTelemetry SDK is registered; undefined when not. Decided once, on the
 * first request (register the SDK before serving): with none, the hot path pays one comparison.
 * A no-op tracer makes spans without a valid context, an SDK's tracer (sampled or not) spans with
 * one. The probe is never ended, so it is never exported.
 */
export function installedTracer(): Tracer | undefined {
  if (installed === undefined) {
    const tracer = trace.getTracer(TRACER_NAME);
    installed = isSpanContextValid(tracer.startSpan('probe', { root: true }).spanContext()) ? tracer : null;
  }
  return installed ?? undefined;
}
