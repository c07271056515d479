import { TIMEOUT_HEADER } from '@graphpipe/protocol';

/** Whether headers name a grpc-timeout themselves, in any case: the caller's value is then sent alone. */
export function hasTimeoutHeader(headers: Readonly<Record<string, string>>): boolean {
  for (const name in headers) if (name.toLowerCase() === TIMEOUT_HEADER) return true;
  return false;
}
