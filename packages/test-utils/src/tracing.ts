/** An OpenTelemetry SDK for tests: spans kept in memory, context through async calls, W3C headers. */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export type { ReadableSpan };

export interface TestTracing {
  /** The spans ended so far. */
  spans(): ReadableSpan[];
  /** Takes the registration down again (for the file's afterAll). */
  stop(): Promise<void>;
}

/** Registers the SDK globally, as an application would before serving. Call once per file. */
export function startTracing(): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager)) throw new Error('a context manager is already registered');
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () => exporter.getFinishedSpans(),
    async stop() {
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

/** The ids of a span, and of its parent, as the exporter saw them. */
export function idsOf(span: ReadableSpan): { traceId: string; spanId: string; parentId: string | undefined } {
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId, parentId: span.parentSpanContext?.spanId };
}
