/**
 * An identity model served by the runtime running this file, through its own entry point:
 * `node --import tsx`, `bun` or `deno run -A` this file; it prints `serving identity on <url>`.
 * Self-contained (no relative imports), so each runtime resolves only the packages, from their dist/.
 */
import { createFunctionBackend } from '@graphpipe/server-core';

type Serve = typeof import('@graphpipe/server-core/node').serve;
const { serve }: { serve: Serve } =
  'Bun' in globalThis
    ? ((await import('@graphpipe/server-core/bun')) as unknown as { serve: Serve })
    : 'Deno' in globalThis
      ? ((await import('@graphpipe/server-core/deno')) as unknown as { serve: Serve })
      : await import('@graphpipe/server-core/node');

const backend = createFunctionBackend((inputs) => inputs.input0!, { name: 'identity' });
const server = await serve(backend, { port: 0, host: '127.0.0.1', logger: false, metrics: false, handleSignals: true });
console.log(`serving identity on ${server.url}`);
