import { context, propagation } from '@opentelemetry/api';

/**
 * The active OpenTelemetry context as headers (W3C `traceparent` and `tracestate` with the usual
 * propagator), so the server's span joins the caller's trace. Empty when no SDK registered a
 * propagator, or nothing is being traced.
 */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}
