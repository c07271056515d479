import type { Attributes } from '@opentelemetry/api';
import type { Exchange } from '../http/exchange.js';
import { RequestTrace } from './request-trace.js';
import { installedTracer } from './tracer.js';

/** The protocols whose routes are traced; probes, metrics and the playground page are not. */
const TRACED = new Set(['graphpipe', 'v2']);

/**
 * The trace of an HTTP request to a route of either protocol, under the caller's `traceparent`;
 * undefined when no SDK is registered or the route is not a protocol's. Named and described as
 * OpenTelemetry's HTTP server conventions have it, our own attributes under `graphpipe.*`.
 */
export function traceHttpRequest(exchange: Exchange, protocol: string, template: string): RequestTrace | undefined {
  if (!installedTracer() || !TRACED.has(protocol)) return undefined;
  const { method, path } = exchange;
  const attributes: Attributes = {
    'http.request.method': method,
    'http.route': template,
    'url.path': path,
    'graphpipe.protocol': protocol,
  };
  const host = exchange.header('host');
  if (host) {
    // host, host:port, [v6], [v6]:port
    const colon = host.lastIndexOf(':');
    const hasPort = colon > host.lastIndexOf(']');
    attributes['server.address'] = (hasPort ? host.slice(0, colon) : host).replace(/^\[|\]$/g, '');
    if (hasPort) attributes['server.port'] = Number(host.slice(colon + 1));
  }
  const agent = exchange.header('user-agent');
  if (agent) attributes['user_agent.original'] = agent;
  return new RequestTrace(exchange, `${method} ${template}`, attributes);
}
