import { GraphPipeError } from '@graphpipe/protocol';

/**
 * The header a caller puts its deadline in on any HTTP route: gRPC's `grpc-timeout`, the one
 * deadline header with a specification and wide support (gRPC, gRPC-Web, Envoy), and the one a
 * gRPC front door reads from its call's metadata, so every protocol reads deadlines one way.
 */
export const TIMEOUT_HEADER = 'grpc-timeout';

/** Milliseconds per unit of `grpc-timeout`: Hours, Minutes, Seconds, milliseconds, microseconds, nanoseconds. */
const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

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
 * The deadline the `timeout` parameter sets: microseconds from now, a whole number, as Triton
 * reads it (v2 REST and gRPC alike); 0 sets none (the server's default applies).
 */
export function timeoutParameterDeadline(timeout: unknown): number | undefined {
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0) {
    throw new GraphPipeError(
      'INVALID_ARGUMENT',
      `parameters.timeout must be a whole number of microseconds, got ${JSON.stringify(timeout)}`,
    );
  }
  return timeout === 0 ? undefined : performance.now() + timeout / 1000;
}

/** setTimeout's longest delay (24.8 days): a longer one would fire at once. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A server's requestTimeoutMs, checked once when it starts. */
export function checkedTimeout(ms: number | undefined): number | undefined {
  if (ms === undefined) return undefined;
  if (!(ms > 0 && ms <= MAX_TIMEOUT_MS))
    throw new RangeError(`requestTimeoutMs must be above 0 and at most ${MAX_TIMEOUT_MS} (ms), got ${ms}`);
  return ms;
}
