import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsHooks, ServerLoad } from '../core.js';

/**
 * Prometheus metrics for a server, in the text format at GET /metrics: answers by kind and
 * status, latency, load, and the process's own metrics.
 */
export function createMetrics(modelName: string, load: () => ServerLoad): MetricsHooks {
  const registry = new Registry();
  registry.setDefaultLabels({ model: modelName });
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'graphpipe_requests_total',
    help: 'GraphPipe requests answered, by kind and HTTP status',
    labelNames: ['kind', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphpipe_request_duration_seconds',
    help: 'Time from a request arriving to its answer being handed to the socket',
    labelNames: ['kind'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Gauges read the server's state when scraped, so the request path pays nothing for them.
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('graphpipe_inferences_running', 'Inferences running now', () => load().running);
  gauge('graphpipe_inferences_queued', 'Requests waiting for a free inference slot', () => load().queued);
  gauge('graphpipe_request_bytes_in_flight', 'Request body bytes held now', () => load().bytesInFlight);

  return {
    observe(ctx, status, seconds) {
      // Probes, scrapes and unknown paths are not model traffic.
      if (ctx.route.protocol === 'http') return;
      const kind = ctx.kind || 'invalid';
      requests.inc({ kind, status });
      duration.observe({ kind }, seconds);
    },
    async scrape() {
      const text = await registry.metrics();
      return { status: 200, headers: { 'content-type': registry.contentType }, body: text };
    },
  };
}
