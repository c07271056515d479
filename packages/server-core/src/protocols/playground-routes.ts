import { GraphPipeError } from '@graphpipe/protocol';
import type { Route, RouteRequest } from '../http/context.js';
import type { Reply } from '../http/exchange.js';
import type { RouteTable } from '../http/routes.js';

/**
 * The playground, a page for trying the served models in a browser (@graphpipe/playground):
 * at GET /ui, and at GET / for requests that accept HTML, so a browser opening the server's
 * address gets it while every other client still gets the metadata JSON there.
 */
export function addPlaygroundRoutes(table: RouteTable): void {
  const page: Route = {
    protocol: 'http',
    // The page itself holds nothing secret; the calls it makes to models need the token.
    access: 'open',
    handle(ctx) {
      ctx.kind = 'playground';
      return pageReply();
    },
  };
  table.add('GET', '/ui', page);
  table.add('GET', '/', { ...page, accepts: acceptsHtml });
}

/** True when the Accept header names text/html (with a quality above 0), as browsers' navigations do. */
export function acceptsHtml(request: RouteRequest): boolean {
  const accept = request.header('accept');
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== 'text/html') return false;
    const quality = params.find((p) => p.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}

let page: Promise<Reply> | undefined;

/** Loaded on the first request for it, so that a server nobody opens in a browser never reads it. */
function pageReply(): Promise<Reply> {
  page ??= import('@graphpipe/playground').then(
    ({ PLAYGROUND_HTML, PLAYGROUND_CSP }): Reply => ({
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': PLAYGROUND_CSP,
        'cache-control': 'no-cache',
        // GET / answers JSON to other clients: caches must keep the two apart.
        vary: 'accept',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
      body: PLAYGROUND_HTML,
    }),
    (err: unknown) => {
      page = undefined;
      throw new GraphPipeError(
        'INTERNAL',
        `the playground page cannot be loaded (${(err as Error).message}); build @graphpipe/playground`,
        { cause: err },
      );
    },
  );
  return page;
}
