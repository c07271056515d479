import { Hono } from 'hono';
import type { Backend } from '../backend.js';
import type { ServerCore, ServerCoreOptions } from '../http/core.js';
import { type CorsOptions, corsSetup } from '../http/cors.js';
import { resolveLogger } from '../logger.js';
import { createServerCore } from '../server.js';
import { createFetchHandler } from './web.js';

export interface GraphPipeAppOptions extends Omit<ServerCoreOptions, 'metrics'> {
  /** CORS for browser callers: true (any origin, the default), false, or hono's cors options. */
  cors?: boolean | CorsOptions;
}

/**
 * A Hono app that serves one backend over GraphPipe: POST a Request buffer (to any path, as
 * the original clients do), GET / for JSON metadata, and health endpoints. It knows only
 * web-standard Request/Response, so it runs on any runtime hono does.
 */
export function createGraphPipeApp(backend: Backend, options: GraphPipeAppOptions = {}): Hono {
  const core = createServerCore(backend, { ...options, logger: resolveLogger(options.logger) });
  return honoAppFor(core, options.cors);
}

/** A Hono app in front of a core: CORS as configured, then every request through the core. */
export function honoAppFor(core: ServerCore, cors: boolean | CorsOptions | undefined): Hono {
  const { middleware, everywhere, headers } = corsSetup(cors);
  const serveCore = createFetchHandler(core, headers);
  const app = new Hono<{ Bindings: { outgoing?: NodeStream } }>();
  if (middleware) {
    if (everywhere) app.use(middleware);
    else app.options('*', middleware);
  }
  app.all('*', (c) => {
    // Under @hono/node-server the Node response stream says when an answer has gone out in full.
    const outgoing = c.env?.outgoing;
    return serveCore(c.req.raw, outgoing ? (done) => outgoing.once('close', done) : undefined);
  });
  return app as unknown as Hono;
}

/** The one thing needed of a Node response stream, typed without Node's types. */
interface NodeStream {
  once(event: 'close', listener: () => void): unknown;
}
