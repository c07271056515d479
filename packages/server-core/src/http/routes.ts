import { RegExpRouter } from 'hono/router/reg-exp-router';
import { SmartRouter } from 'hono/router/smart-router';
import { TrieRouter } from 'hono/router/trie-router';
import type { Route, RouteRequest } from './context.js';

export interface RouteMatch {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
  /** The path the route was added under, e.g. /v2/models/:name/infer (tracing's http.route). */
  readonly template: string;
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
  /**
   * The routes matching recent paths, best first, by method then path: most traffic goes to a
   * few paths (a path's parameters are the same every time, so they are kept with it).
   */
  private readonly recent = new Map<string, Map<string, readonly RouteMatch[]>>();

  /** Adds a route; one for GET answers HEAD too (the runtime sends its headers without the body). */
  add(method: string, path: string, route: Route): this {
    this.recent.clear();
    const wildcard = path.indexOf('*');
    const router = wildcard < 0 ? this.exact : this.fallbacks;
    const entry = { route, specificity: Math.max(wildcard, 0), template: path };
    router.add(method, path, entry);
    if (method === 'GET') router.add('HEAD', path, entry);
    return this;
  }

  /** The best route for the method and path that accepts the request (without one: that has no `accepts`). */
  match(method: string, path: string, request?: RouteRequest): RouteMatch | undefined {
    let byPath = this.recent.get(method);
    const cached = byPath?.get(path);
    if (cached !== undefined) return firstAccepted(cached, request);
    const candidates = [...ranked(this.exact, method, path), ...ranked(this.fallbacks, method, path)];
    if (!byPath) {
      byPath = new Map();
      this.recent.set(method, byPath);
    }
    // Bounded, so that a scan of random paths cannot grow it.
    if (byPath.size >= 256) byPath.clear();
    byPath.set(path, candidates);
    return firstAccepted(candidates, request);
  }
}

interface Entry {
  readonly route: Route;
  /** Among fallbacks: the length of the path before the wildcard. */
  readonly specificity: number;
  readonly template: string;
}

const newRouter = () => new SmartRouter<Entry>({ routers: [new RegExpRouter(), new TrieRouter()] });

/** The routes a router matches, best first: the more specific, then the one added first. */
function ranked(router: SmartRouter<Entry>, method: string, path: string): RouteMatch[] {
  const [handlers, stash] = router.match(method, path);
  return handlers
    .map((handler, order) => ({ handler, order }))
    .sort((a, b) => b.handler[0].specificity - a.handler[0].specificity || a.order - b.order)
    .map(({ handler: [{ route, template }, paramMap] }) => {
      const names = Object.keys(paramMap);
      if (names.length === 0) return { route, params: NO_PARAMS, template };
      const params: Record<string, string> = Object.create(null);
      for (const name of names) {
        const at = (paramMap as Record<string, number | string>)[name]!;
        // Routers give either indices into a stash or the values themselves.
        params[name] = stash ? stash[at as number]! : (at as string);
      }
      // Shared by every request to this path (see RouteTable.recent).
      return { route, params: Object.freeze(params), template };
    });
}

const accepted = (route: Route, request: RouteRequest | undefined) =>
  !route.accepts || (request !== undefined && route.accepts(request));

function firstAccepted(matches: readonly RouteMatch[], request: RouteRequest | undefined): RouteMatch | undefined {
  for (const m of matches) if (accepted(m.route, request)) return m;
  return undefined;
}
