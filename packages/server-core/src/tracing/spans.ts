import type { Tensor } from '@graphpipe/protocol';
import { type Attributes, type Context, context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Backend, InferContext } from '../backend.js';
import type { RequestTrace } from './request-trace.js';
import { installedTracer } from './tracer.js';

/**
 * A model run's context as the server passes it along: with the trace context of the request
 * (or of the batch it runs in) when the request is traced. Absent when tracing is off, so the
 * hot path checks one property.
 */
export interface TracedRun extends InferContext {
  readonly traceContext?: Context;
}

export function traceContextOf(run: InferContext): Context | undefined {
  return (run as TracedRun).traceContext;
}

/** The same run under another trace context (a batch's): everything else, getters too, read through. */
export function withTraceContext(run: InferContext, traceContext: Context): TracedRun {
  return Object.create(run, { traceContext: { value: traceContext } }) as TracedRun;
}

/** A span for one stage of the work under `parent`, started now. */
export function startSpan(parent: Context, name: string, attributes?: Attributes): Span {
  return installedTracer()!.startSpan(name, { attributes }, parent);
}

/** Ends `span` when `work` settles, marking it failed if it failed. */
export function endWhenSettled<T>(span: Span, work: Promise<T>): Promise<T> {
  return work.then(
    (value) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      failSpan(span, err);
      span.end();
      throw err;
    },
  );
}

/** Marks a stage's span failed with the error's code and message. */
export function failSpan(span: Span, err: unknown): void {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: typeof message === 'string' ? message : String(err) });
}

/**
 * `fn(arg)` in a span of its own when the request is traced; just `fn(arg)` when not (no
 * closure made: the hot path calls this for every answer it encodes).
 */
export function inSpan<A, R>(request: RequestTrace | undefined, name: string, fn: (arg: A) => R, arg: A): R {
  if (!request) return fn(arg);
  const span = request.child(name);
  try {
    return fn(arg);
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Runs `fn` with `span` the active span under `parent`, so what it calls (a client) carries it on. */
export function withActiveSpan<R>(parent: Context, span: Span, fn: () => R): R {
  return context.with(trace.setSpan(parent, span), fn);
}

/** A served model version, as its spans name it, and the backend it runs. */
export interface TracedModel {
  readonly name: string;
  readonly version: string;
  readonly backend: Backend;
}

/** Tells the request's span how many rows it asked for. */
export function noteRows(parent: Context, rows: number | undefined): void {
  trace.getSpan(parent)?.setAttribute('graphpipe.request.rows', rows ?? 1);
}

/**
 * One run of the backend in a span of its own, active while it runs: a backend that calls
 * another server (a composition's remote member) carries the trace there. The run's arguments
 * come one by one, so a caller that traces nothing makes no closure for them.
 */
export function traceRun(
  parent: Context,
  model: TracedModel,
  rows: number | undefined,
  inputs: Readonly<Record<string, Tensor>>,
  outputNames: readonly string[],
  run: InferContext,
): Promise<Readonly<Record<string, Tensor>>> {
  const span = startSpan(parent, 'backend run', {
    'graphpipe.model.name': model.name,
    'graphpipe.model.version': model.version,
    'graphpipe.batch.rows': rows ?? 1,
  });
  let running: Promise<Readonly<Record<string, Tensor>>>;
  try {
    running = Promise.resolve(withActiveSpan(parent, span, () => model.backend.infer(inputs, outputNames, run)));
  } catch (err) {
    running = Promise.reject(err);
  }
  return endWhenSettled(span, running);
}

/** Reads a request's body in a span of its own, and tells the request's span its size. */
export function traceBodyRead(request: RequestTrace, read: Promise<Uint8Array>): Promise<Uint8Array> {
  return endWhenSettled(request.child('read body'), read).then((body) => {
    request.bodyRead(body.length);
    return body;
  });
}

/** A batch run's span and the context its run starts from. */
export interface BatchTrace {
  readonly span: Span;
  readonly context: Context;
}

/**
 * The span of one batch run, linked to the span of every traced request in it (its parent is the
 * first one's, so the batch shows in that request's trace too); undefined when none is traced.
 */
export function startBatchSpan(
  requests: readonly { readonly context: InferContext }[],
  rows: number,
): BatchTrace | undefined {
  let parent: Context | undefined;
  const links = [];
  for (const { context: run } of requests) {
    const traced = traceContextOf(run);
    const request = traced && trace.getSpanContext(traced);
    if (!request) continue;
    parent ??= traced;
    links.push({ context: request });
  }
  if (!parent) return undefined;
  const span = installedTracer()!.startSpan(
    'batch',
    { links, attributes: { 'graphpipe.batch.requests': requests.length, 'graphpipe.batch.rows': rows } },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}
