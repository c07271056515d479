/**
 * Serving on Bun with `Bun.serve`: the same core, limits, health routes, metrics, model
 * repository and graceful shutdown as the Node entry point, and HTTPS with Bun's TLS. Bun's types
 * are not needed: the little used of them is declared here.
 */
import type { Backend } from '../backend.js';
import { type RuntimeServeOptions, type RuntimeServerHandle, serveOn } from './runtime-serve.js';

/** Bun's options: every runtime's (see RuntimeServeOptions), and HTTPS. */
export interface BunServeOptions extends RuntimeServeOptions {
  /** Serve HTTPS with Bun's TLS: the certificate (chain) and its private key, PEM. */
  tls?: BunTlsOptions;
}

/** What `Bun.serve` takes for TLS (PEM text or bytes). */
export interface BunTlsOptions {
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
  /** Certificate authorities to trust besides the system's (for client certificates). */
  readonly ca?: string | Uint8Array;
  /** The key's passphrase, when it is encrypted. */
  readonly passphrase?: string;
}

/** What is used of a server from `Bun.serve`. */
export interface BunServer {
  readonly port: number;
  /** Stops listening; resolves once open connections are done (`true`: closes them at once). */
  stop(closeActiveConnections?: boolean): Promise<void>;
}

interface BunRuntime {
  serve(config: {
    hostname: string;
    port: number;
    fetch(request: Request): Promise<Response>;
    maxRequestBodySize: number;
    idleTimeout: number;
    tls?: BunTlsOptions;
  }): BunServer;
}

export type BunServerHandle = RuntimeServerHandle<BunServer>;

/**
 * Serves one backend, several, or none yet (add them to `handle.core.models`) with `Bun.serve`;
 * resolves once listening.
 */
export async function serve(
  backends: Backend | readonly Backend[],
  options: BunServeOptions = {},
): Promise<BunServerHandle> {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (!bun) throw new TypeError('@graphpipe/server-core/bun needs Bun; on Node use @graphpipe/server-core/node');
  const { tls } = options;
  const runtime = {
    listen(fetch: (request: Request) => Promise<Response>, hostname: string, port: number) {
      const server = bun.serve({
        hostname,
        port,
        fetch,
        // The core refuses bodies over maxBodyBytes itself (413, with its one-line answer).
        maxRequestBodySize: Number.MAX_SAFE_INTEGER,
        // Bun's idle timeout also runs while a request waits for its answer; 0 leaves timing to the core.
        idleTimeout: 0,
        ...(tls ? { tls } : {}),
      });
      const listener = { stopAccepting: () => server.stop(), closeAll: () => server.stop(true) };
      return { server, port: server.port, listener, https: tls !== undefined };
    },
    onSignal: (signal: NodeJS.Signals, listener: () => void) => process.once(signal, listener),
    exit: (code: number) => process.exit(code),
  };
  return serveOn(runtime, backends, options);
}
