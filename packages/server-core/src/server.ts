import { DEFAULT_DECODE_LIMITS } from '@graphpipe/protocol';
import type { Backend } from './backend.js';
import type { RequestContext } from './http/context.js';
import { runRequests, type ServerCore, type ServerCoreOptions } from './http/core.js';
import { Lifecycle } from './http/lifecycle.js';
import { RouteTable } from './http/routes.js';
import { SERVER_NAME } from './models/metadata.js';
import { ModelRegistry } from './models/registry.js';
import { addGraphPipeRoutes } from './protocols/graphpipe-routes.js';
import { addHealthRoutes } from './protocols/health-routes.js';
import { addPlaygroundRoutes } from './protocols/playground-routes.js';
import { addV2Routes } from './protocols/v2-routes.js';

/** A server core for one backend, several, or none yet (models added to `core.models` later): every protocol's routes over one registry. */
export function createServerCore(backends: Backend | readonly Backend[], options: ServerCoreOptions = {}): ServerCore {
  const models = new ModelRegistry({ ...options, events: options.metrics });
  for (const backend of Array.isArray(backends) ? backends : [backends as Backend]) models.add(backend);
  const lifecycle = new Lifecycle<RequestContext>();
  const { metrics } = options;

  const routes = new RouteTable();
  addHealthRoutes(routes, lifecycle, models);
  if (metrics) {
    routes.add('GET', '/metrics', {
      protocol: 'http',
      access: 'open',
      duringShutdown: true,
      handle: () => metrics.scrape(),
    });
  }
  const decodeLimits = { ...DEFAULT_DECODE_LIMITS, ...options.decodeLimits };
  const extensions = new Set<string>();
  // Before GraphPipe's routes: the playground answers browsers at GET / and leaves everyone else to
  // them, and GraphPipe's POST catch-all would take any path.
  if (options.ui !== false) addPlaygroundRoutes(routes);
  addV2Routes(routes, models, lifecycle, { decodeLimits, serverName: options.serverName ?? SERVER_NAME, extensions });
  addGraphPipeRoutes(routes, models, decodeLimits);
  return runRequests({ models, routes, lifecycle, extensions }, options);
}
