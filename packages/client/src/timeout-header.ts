/**
 * The header that carries a call's deadline on every HTTP route: gRPC's `grpc-timeout`, which
 * this project's server reads on GraphPipe, v2 and its other routes (as do Envoy and gRPC-Web).
 */
export const TIMEOUT_HEADER = 'grpc-timeout';

/** The most digits a grpc-timeout value may have. */
const MAX_VALUE = 99_999_999;

/**
 * Time left, in ms, as a grpc-timeout value: whole milliseconds (`1500m`), rounded up so that it
 * is never 0; whole seconds when that is more than 8 digits (over 27 hours).
 */
export function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole <= MAX_VALUE ? `${whole}m` : `${Math.min(MAX_VALUE, Math.ceil(whole / 1000))}S`;
}

/** Whether headers name a grpc-timeout themselves, in any case: the caller's value is then sent alone. */
export function hasTimeoutHeader(headers: Readonly<Record<string, string>>): boolean {
  for (const name in headers) if (name.toLowerCase() === TIMEOUT_HEADER) return true;
  return false;
}
