import type { ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GraphPipeHandler } from './handler.js';

export type RequestKind = 'infer' | 'metadata' | 'invalid';

/** Prometheus metrics for one served model, in the text format at GET /metrics. */
export interface ServerMetrics {
  /** Records one answered POST: what it was (invalid when it never decoded), its status and duration. */
  observe(kind: RequestKind, status: number, seconds: number): void;
  /** Answers a scrape. */
  serve(res: ServerResponse): void;
}

export function createMetrics(handler: GraphPipeHandler): ServerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ model: handler.modelName });
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
  // Gauges read the handler's state when scraped, so the request path pays nothing for them.
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('graphpipe_inferences_running', 'Inferences running now', () => handler.load().running);
  gauge('graphpipe_inferences_queued', 'Requests waiting for a free inference slot', () => handler.load().queued);
  gauge('graphpipe_request_bytes_in_flight', 'Request body bytes held now', () => handler.load().bytesInFlight);

  return {
    observe(kind, status, seconds) {
      requests.inc({ kind, status });
      duration.observe({ kind }, seconds);
    },
    serve(res) {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
      );
    },
  };
}
