import { codeFromStatus, type GraphPipeErrorCode, isErrorCode } from '@graphpipe/protocol';
import { GrpcStatus, grpcStatusOf } from '@graphpipe/protocol/grpc';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Exchange } from '../http/exchange.js';
import { RequestTrace } from './request-trace.js';
import { installedTracer } from './tracer.js';

/** Probes, which are not traced (as HTTP's health routes are not): the health service, liveness, readiness. */
function isProbe(path: string): boolean {
  return (
    path.startsWith('/grpc.health.v1.') ||
    path === '/inference.GRPCInferenceService/ServerLive' ||
    path === '/inference.GRPCInferenceService/ServerReady'
  );
}

/**
 * The statuses for which OpenTelemetry's RPC conventions mark a server span in error: the
 * server's own failures, not the caller's mistakes.
 */
const SERVER_FAILURES: ReadonlySet<number> = new Set([
  GrpcStatus.UNKNOWN,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.UNIMPLEMENTED,
  GrpcStatus.INTERNAL,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DATA_LOSS,
]);

/** A gRPC call's span: rpc.* attributes, its status as the gRPC status code the caller got. */
class GrpcCallTrace extends RequestTrace {
  private code: GraphPipeErrorCode | undefined;

  override failed(code: string, message: string, status: number): void {
    super.failed(code, message, status);
    if (isErrorCode(code)) this.code = code;
    this.errorMessage = message;
  }

  override bodyRead(bytes: number): void {
    this.span.setAttribute('graphpipe.request.body.size', bytes);
  }

  protected override answered(status: number): void {
    // As GrpcExchange answers: the code the core named, else the one its HTTP status stands for.
    const code = status < 300 ? GrpcStatus.OK : grpcStatusOf(this.code ?? codeFromStatus(status));
    this.span.setAttribute('rpc.grpc.status_code', code);
    if (SERVER_FAILURES.has(code)) this.span.setStatus({ code: SpanStatusCode.ERROR, message: this.errorMessage });
  }
}

/**
 * The trace of a gRPC call, under the `traceparent` in its metadata; undefined when no SDK is
 * registered or the call is a probe. Named and described as OpenTelemetry's RPC conventions
 * have it (`package.Service/Method`, rpc.system, rpc.service, rpc.method), our own attributes
 * under `graphpipe.*`.
 */
export function traceGrpcCall(exchange: Exchange, _protocol: string, path: string): RequestTrace | undefined {
  if (!installedTracer() || isProbe(path)) return undefined;
  const slash = path.lastIndexOf('/');
  const service = path.slice(1, slash);
  const method = path.slice(slash + 1);
  return new GrpcCallTrace(exchange, `${service}/${method}`, {
    'rpc.system': 'grpc',
    'rpc.service': service,
    'rpc.method': method,
    'graphpipe.protocol': 'grpc',
  });
}
