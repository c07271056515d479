/**
 * Serving on Deno with `Deno.serve`: the same core, limits, health routes, metrics and graceful
 * shutdown as the Node entry point. Deno's types are not needed: the little used of them is
 * declared here.
 */
import type { Backend } from '../backend.js';
import { type RuntimeServeOptions, type RuntimeServerHandle, serveOn } from './runtime-serve.js';

export type { RuntimeServeOptions as DenoServeOptions } from './runtime-serve.js';

/** What is used of a server from `Deno.serve`. */
export interface DenoServer {
  readonly addr: { readonly port: number };
  /** Stops accepting; resolves once the requests in flight are answered. */
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
}

interface DenoRuntime {
  serve(
    config: { hostname: string; port: number; signal: AbortSignal; onListen(): void },
    handler: (request: Request) => Promise<Response>,
  ): DenoServer;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', listener: () => void): void;
  exit(code: number): never;
}

export type DenoServerHandle = RuntimeServerHandle<DenoServer>;

/**
 * Serves one backend, several, or none yet (add them to `handle.core.models`) with `Deno.serve`;
 * resolves once listening.
 */
export async function serve(
  backends: Backend | readonly Backend[],
  options: RuntimeServeOptions = {},
): Promise<DenoServerHandle> {
  const deno = (globalThis as { Deno?: DenoRuntime }).Deno;
  if (!deno) throw new TypeError('@graphpipe/server-core/deno needs Deno; on Node use @graphpipe/server-core/node');
  const runtime = {
    listen(handler: (request: Request) => Promise<Response>, hostname: string, port: number) {
      // Aborting closes the connections still open after shutdown's drain.
      const abort = new AbortController();
      const server = deno.serve({ hostname, port, signal: abort.signal, onListen() {} }, handler);
      const closeAll = () => {
        abort.abort();
        return server.finished;
      };
      return { server, port: server.addr.port, listener: { stopAccepting: () => server.shutdown(), closeAll } };
    },
    onSignal: (signal: 'SIGTERM' | 'SIGINT', listener: () => void) => deno.addSignalListener(signal, listener),
    exit: (code: number) => deno.exit(code),
  };
  return serveOn(runtime, backends, options);
}
