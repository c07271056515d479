import { GraphPipeError } from './errors.js';

/**
 * The header that carries a call's deadline on every HTTP route: gRPC's `grpc-timeout`, the one
 * deadline header with a specification and wide support (gRPC, gRPC-Web, Envoy), and the one a
 * gRPC front door reads from its call's metadata, so every protocol carries deadlines one way.
 */
export const TIMEOUT_HEADER = 'grpc-timeout';

/** Milliseconds per unit of `grpc-timeout`: Hours, Minutes, Seconds, milliseconds, microseconds, nanoseconds. */
const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** The most a value's 8 digits can say. */
const MAX_VALUE = 99_999_999;

/** A `grpc-timeout` value (1 to 8 digits and a unit, e.g. `250m`) in milliseconds; 400 when malformed. */
export function grpcTimeoutMs(value: string): number {
  const match = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (!match) {
    throw new GraphPipeError(
      'INVALID_ARGUMENT',
      `${TIMEOUT_HEADER} must be 1 to 8 digits and a unit (H, M, S, m for ms, u, n), e.g. 250m; got ${JSON.stringify(value)}`,
    );
  }
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * Time left, in ms, as a `grpc-timeout` value: whole milliseconds (`1500m`), rounded up so that it
 * is never 0; whole seconds when that is more than 8 digits (over 27 hours).
 */
export function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole <= MAX_VALUE ? `${whole}m` : `${Math.min(MAX_VALUE, Math.ceil(whole / 1000))}S`;
}
