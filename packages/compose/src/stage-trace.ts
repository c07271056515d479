import { context, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@graphpipe/compose');

/**
 * Runs a stage in a span of its own, a child of the active span (the server's run of the
 * composition), and active while the stage runs: a remote member's request carries it to the
 * other server. Without a recording span there is nothing to add to, and the stage runs as it is.
 */
export async function traceStage<T>(name: string, location: string | undefined, run: () => Promise<T>): Promise<T> {
  const parent = context.active();
  if (!trace.getSpan(parent)?.isRecording()) return run();
  const attributes = { 'graphpipe.stage.name': name, ...(location ? { 'graphpipe.stage.location': location } : {}) };
  const span = tracer.startSpan(`stage ${name}`, { attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), run);
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message ?? String(err) });
    throw err;
  } finally {
    span.end();
  }
}
