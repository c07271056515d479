import {
  type Attributes,
  type Context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { installedTracer } from './tracer.js';

/**
 * Where a caller's trace context (W3C `traceparent`, `tracestate`) is read from: HTTP headers,
 * or, for another front door such as gRPC, its metadata under the same lower-case names.
 */
export interface TraceCarrier {
  header(name: string): string | undefined;
}

const fromCarrier: TextMapGetter<TraceCarrier> = {
  get: (carrier, key) => carrier.header(key),
  keys: () => [],
};

/** What the request turned out to be, for its span (a RequestContext is one). */
export interface RequestOutcome {
  readonly model: string | undefined;
  readonly version: string | undefined;
  /** 'infer', 'metadata', …; '' when unknown. */
  readonly kind: string;
}

/**
 * The span of one request, a child of the caller's span when the carrier names one, and the
 * context its stages' spans (read body, queue wait, run, encode, write) start from. The model
 * runs with this context active, so a composition's calls to other servers carry it on.
 */
export class RequestTrace {
  readonly span: Span;
  readonly context: Context;
  protected errorMessage: string | undefined;
  private write: Span | undefined;

  constructor(carrier: TraceCarrier, name: string, attributes: Attributes) {
    const parent = propagation.extract(ROOT_CONTEXT, carrier, fromCarrier);
    this.span = installedTracer()!.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    this.context = trace.setSpan(parent, this.span);
  }

  /** A span for one stage of the request, started now. */
  child(name: string, attributes?: Attributes): Span {
    return installedTracer()!.startSpan(name, { attributes }, this.context);
  }

  /** The request failed with this error code (GraphPipeError's, e.g. INVALID_ARGUMENT). */
  failed(code: string, message: string, status: number): void {
    this.span.setAttribute('error.type', code);
    if (status >= 500) this.errorMessage = message;
  }

  /** The request's body has been read: its size, in bytes. */
  bodyRead(bytes: number): void {
    this.span.setAttribute('http.request.body.size', bytes);
  }

  /** The answer starts on its way out: the write span lasts until `end`. */
  writing(): void {
    this.write = this.child('write');
  }

  /** Ends the request's span (and its write span) once the answer with this status is out. */
  end(status: number, { model, version, kind }: RequestOutcome): void {
    this.write?.end();
    const { span } = this;
    this.answered(status);
    if (model !== undefined) span.setAttribute('graphpipe.model.name', model);
    if (version !== undefined) span.setAttribute('graphpipe.model.version', version);
    if (kind) span.setAttribute('graphpipe.request.kind', kind);
    span.end();
  }

  /** Records the answer's status on the span, as the protocol's conventions have it (HTTP's here). */
  protected answered(status: number): void {
    this.span.setAttribute('http.response.status_code', status);
    // A server span is in error only for the server's own failures.
    if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR, message: this.errorMessage });
  }
}

/**
 * The trace of a request arriving by `carrier`, or undefined when no OpenTelemetry SDK is
 * registered. Every HTTP route of both protocols starts one (see core.ts); a front door of
 * another kind (gRPC) calls this with its metadata, ends it with `end`, and hands `context`
 * to the model run as its InferContext's `traceContext` (see spans.ts).
 */
export function startRequestTrace(
  carrier: TraceCarrier,
  name: string,
  attributes: Attributes,
): RequestTrace | undefined {
  return installedTracer() ? new RequestTrace(carrier, name, attributes) : undefined;
}
