import { GraphPipeError } from '@graphpipe/protocol';
import { Hono } from 'hono';
import type { Backend } from './backend.js';
import { asGraphPipeError, errorResponse } from './errors.js';
import { createGraphPipeHandler, type GraphPipeAppOptions, type GraphPipeHandler } from './handler.js';
import { webAnswer, webExchange } from './web-io.js';

/**
 * A Hono app that serves one backend over GraphPipe: POST a Request buffer (to any path, as
 * the original clients do), GET / for JSON metadata, and health endpoints. It knows only
 * web-standard Request/Response, so it runs on any runtime hono does; on Node, `serve` from
 * `@graphpipe/server-core/node` adds a faster path for POSTs.
 */
export function createGraphPipeApp(backend: Backend, options: GraphPipeAppOptions = {}): Hono {
  return appFor(createGraphPipeHandler(backend, options));
}

/** The Hono app around a handler (shared with a runtime adapter that serves POSTs itself). */
export function appFor(handler: GraphPipeHandler): Hono {
  const { lifecycle, logger, cors } = handler;
  const app = new Hono();
  if (logger) {
    app.use(async (c, next) => {
      const start = performance.now();
      await next();
      logger.info({
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: +(performance.now() - start).toFixed(2),
      });
    });
  }
  if (cors.middleware) {
    if (cors.onPost) app.use(cors.middleware);
    else app.on(['GET', 'OPTIONS'], '*', cors.middleware);
  }

  const text = (body: string, status = 200) =>
    new Response(body, { status, headers: { 'content-type': 'text/plain' } });
  const ok = () => text('ok\n');
  const ready = () => (lifecycle.ready ? ok() : text('not ready\n', 503));
  app.get('/control/is_alive', ok);
  app.get('/healthz', ok);
  app.get('/livez', ok);
  app.get('/control/is_ready', ready);
  app.get('/readyz', ready);
  app.get('/', () => new Response(handler.metadataText, { headers: { 'content-type': 'application/json' } }));
  app.post('*', async (c) => webAnswer(await handler.answer(webExchange(c.req.raw)), cors.headers));

  app.notFound((c) => errorResponse(new GraphPipeError('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    const error = asGraphPipeError(err);
    if (logger && error.status >= 500) logger.error({ err, path: c.req.path }, error.message);
    // Browser callers need the CORS header to read why their request failed.
    return errorResponse(error, cors.headers);
  });
  return app;
}

export { DEFAULT_MAX_BODY_BYTES, type GraphPipeAppOptions } from './handler.js';
