import { GraphPipeError } from '@graphpipe/protocol';

// The grpc-timeout header, which every route reads, is protocol's (grpcTimeoutMs, TIMEOUT_HEADER).

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
