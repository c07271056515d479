import { createFunctionBackend } from '@graphpipe/server-core';
import { serve, type ServeOptions } from '@graphpipe/server-core/node';

/** The server the fuzzer and load test aim at: echoes input0 (any dtype or shape) as output0. */
export function echoBackend(delayMs = 0) {
  return createFunctionBackend(
    async ({ input0 }, { signal }) => {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs, signal));
      return input0!;
    },
    { name: 'echo', description: 'returns its input' },
  );
}

export function serveEcho(options: ServeOptions & { delayMs?: number } = {}) {
  return serve(echoBackend(options.delayMs), { host: '127.0.0.1', port: 0, logger: false, ...options });
}
