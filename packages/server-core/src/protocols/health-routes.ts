import type { Route } from '../http/context.js';
import { textReply } from '../http/exchange.js';
import type { Lifecycle } from '../http/lifecycle.js';
import type { RouteTable } from '../http/routes.js';
import type { ModelRegistry } from '../models/registry.js';

const OK = textReply('ok\n');
const NOT_READY = textReply('not ready\n', 503);

/**
 * Liveness and readiness probes, under both the original Go server's paths and Kubernetes' usual
 * ones. Not ready while shutting down, or while a model the server started with warms up.
 */
export function addHealthRoutes(table: RouteTable, lifecycle: Lifecycle<unknown>, models: ModelRegistry): void {
  const alive: Route = { protocol: 'http', access: 'open', duringShutdown: true, handle: () => OK };
  const ready: Route = {
    protocol: 'http',
    access: 'open',
    duringShutdown: true,
    handle: () => (lifecycle.ready && !models.warmingUp ? OK : NOT_READY),
  };
  for (const path of ['/control/is_alive', '/healthz', '/livez']) table.add('GET', path, alive);
  for (const path of ['/control/is_ready', '/readyz']) table.add('GET', path, ready);
}
