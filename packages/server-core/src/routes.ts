import type { GraphPipeError } from '@graphpipe/protocol';
import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import type { Access } from './auth.js';
import type { RequestContext } from './context.js';
import type { Reply } from './exchange.js';

/** One endpoint: how it answers, how its errors look, and whether it answers during shutdown. */
export interface Route {
  /** For logs and metrics: which protocol the endpoint speaks. */
  readonly protocol: string;
  /** Health and metrics keep answering while the server drains; everything else gets 503. */
  readonly duringShutdown?: boolean;
  /** Who may call it (see auth.ts). Default 'models': the inference token, when one is set. */
  readonly access?: Access;
  handle(ctx: RequestContext): Reply | Promise<Reply>;
  /** The protocol's error form; default: one text line (see errors.ts). */
  errorReply?(error: GraphPipeError): Reply;
}

export interface RouteMatch {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
}

export const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

/**
 * Method + path to route, with hono's routers (the ones a Hono app uses). A path with a wildcard
 * (`*`) is a fallback: it answers only when no path without one matches, so endpoints added later
 * are never shadowed by a catch-all added before them; among fallbacks, the longest path before
 * the wildcard wins (`/v2/*` before `*`). Otherwise the first route added wins.
 */
export class RouteTable {
  private readonly exact = newRouter();
  private readonly fallbacks = newRouter();
  /** The last matches of paths without parameters: most traffic goes to a few such paths. */
  private readonly recent = new Map<string, RouteMatch | undefined>();

  add(method: string, path: string, route: Route): this {
    this.recent.clear();
    const wildcard = path.indexOf('*');
    if (wildcard < 0) this.exact.add(method, path, { route, specificity: 0 });
    else this.fallbacks.add(method, path, { route, specificity: wildcard });
    return this;
  }

  match(method: string, path: string): RouteMatch | undefined {
    const key = `${method} ${path}`;
    const cached = this.recent.get(key);
    if (cached !== undefined) return cached;
    const found = bestMatch(this.exact, method, path) ?? bestMatch(this.fallbacks, method, path);
    if (found?.params === NO_PARAMS) {
      // Bounded, so that a scan of random paths cannot grow it.
      if (this.recent.size >= 256) this.recent.clear();
      this.recent.set(key, found);
    }
    return found;
  }
}

interface Entry {
  readonly route: Route;
  /** Among fallbacks: the length of the path before the wildcard. */
  readonly specificity: number;
}

const newRouter = () => new SmartRouter<Entry>({ routers: [new RegExpRouter(), new TrieRouter()] });

function bestMatch(router: SmartRouter<Entry>, method: string, path: string): RouteMatch | undefined {
  const [handlers, stash] = router.match(method, path);
  let best = handlers[0];
  if (!best) return undefined;
  // Handlers come in the order they were added; a later one wins only by being more specific.
  for (const candidate of handlers) if (candidate[0].specificity > best[0].specificity) best = candidate;
  const [{ route }, paramMap] = best;
  const names = Object.keys(paramMap);
  if (names.length === 0) return { route, params: NO_PARAMS };
  const params: Record<string, string> = Object.create(null);
  for (const name of names) {
    const at = (paramMap as Record<string, number | string>)[name]!;
    // Routers give either indices into a stash or the values themselves.
    params[name] = stash ? stash[at as number]! : (at as string);
  }
  return { route, params };
}
