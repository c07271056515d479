/**
 * gRPC status codes and how our error codes map to them, as Triton answers: a malformed or
 * wrong request is INVALID_ARGUMENT, an unknown model NOT_FOUND, a full queue or a shutdown
 * UNAVAILABLE, a missing or wrong token UNAUTHENTICATED or PERMISSION_DENIED.
 */
import type { GraphPipeErrorCode } from '../errors.js';

/** The gRPC status codes (as in grpc/status.proto). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

const BY_CODE: Readonly<Record<GraphPipeErrorCode, GrpcStatus>> = {
  INVALID_MESSAGE: GrpcStatus.INVALID_ARGUMENT,
  INVALID_ARGUMENT: GrpcStatus.INVALID_ARGUMENT,
  PAYLOAD_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  REQUEST_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  UNAUTHENTICATED: GrpcStatus.UNAUTHENTICATED,
  FORBIDDEN: GrpcStatus.PERMISSION_DENIED,
  UNAVAILABLE: GrpcStatus.UNAVAILABLE,
  UPSTREAM: GrpcStatus.UNAVAILABLE,
  DEADLINE_EXCEEDED: GrpcStatus.DEADLINE_EXCEEDED,
  ABORTED: GrpcStatus.CANCELLED,
  NETWORK: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
};

/** The gRPC status a server answers an error with. */
export function grpcStatusOf(code: GraphPipeErrorCode): GrpcStatus {
  return BY_CODE[code];
}

/** The error code a client reports for a gRPC status, when the server named none (see ERROR_CODE_HEADER). */
export function codeFromGrpcStatus(status: number): GraphPipeErrorCode {
  switch (status) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
    case GrpcStatus.FAILED_PRECONDITION:
      return 'INVALID_ARGUMENT';
    case GrpcStatus.NOT_FOUND:
    case GrpcStatus.UNIMPLEMENTED:
      return 'NOT_FOUND';
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return 'PAYLOAD_TOO_LARGE';
    case GrpcStatus.DEADLINE_EXCEEDED:
      return 'DEADLINE_EXCEEDED';
    case GrpcStatus.UNAUTHENTICATED:
      return 'UNAUTHENTICATED';
    case GrpcStatus.PERMISSION_DENIED:
      return 'FORBIDDEN';
    case GrpcStatus.UNAVAILABLE:
      return 'UNAVAILABLE';
    case GrpcStatus.CANCELLED:
      return 'ABORTED';
    default:
      return 'INTERNAL';
  }
}
