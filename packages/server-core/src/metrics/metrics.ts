import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsHooks, ServerLoad } from '../http/core.js';
import type { ModelRegistry } from '../models/registry.js';
import type { ModelRepository } from '../repository/index.js';
import { clusterScrape } from './cluster-metrics.js';
import { RequestSeries } from './request-series.js';

/** What the metrics read when scraped. */
export interface MetricsSource {
  readonly models: ModelRegistry;
  load(): ServerLoad;
}

export interface NodeMetrics extends MetricsHooks {
  /** Counts a model repository's loads, failed loads and unloads, by model and version. */
  observeRepository(repository: Pick<ModelRepository, 'on'>): void;
}

/**
 * Prometheus metrics for a server, in the text format at GET /metrics: answers by protocol,
 * kind, status, model and version, latency, each model version's load and state, a repository's
 * loads and unloads, and the process's own metrics. `source` is read only when scraped.
 */
export interface MetricsOptions {
  /**
   * A worker of a cluster (the CLI's --workers): a scrape answers for every worker, gathered by
   * the primary (see cluster-metrics.ts).
   */
  readonly cluster?: boolean;
}

export function createMetrics(source: () => MetricsSource, options: MetricsOptions = {}): NodeMetrics {
  const registry = new Registry();
  const scrapeCluster = options.cluster ? clusterScrape(registry) : undefined;
  collectDefaultMetrics({ register: registry });
  // Answered requests are counted by RequestSeries on the request path, and read when scraped.
  const answered = new RequestSeries([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  new Counter({
    name: 'graphpipe_requests_total',
    help: 'Requests answered, by protocol, kind, HTTP status, model and version',
    labelNames: ['protocol', 'kind', 'status', 'model', 'version'],
    registers: [registry],
    collect() {
      answered.fill(this);
    },
  });
  answered.registerHistogram(
    registry,
    'graphpipe_request_duration_seconds',
    'Time from a request arriving to its answer being handed to the socket',
  );
  // Gauges read the server's state when scraped, so the request path pays nothing for them.
  const perVersion = (name: string, help: string, read: (m: { running: number; queued: number }) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['model', 'version'],
      registers: [registry],
      collect() {
        this.reset();
        for (const m of source().models.served()) this.set({ model: m.name, version: m.version }, read(m));
      },
    });
  perVersion('graphpipe_inferences_running', 'Inferences running now', (m) => m.running);
  perVersion('graphpipe_inferences_queued', 'Requests waiting for a free inference slot', (m) => m.queued);
  const batchRequests = new Histogram({
    name: 'graphpipe_batch_requests',
    help: 'Requests joined in one run of a model (dynamic batching)',
    labelNames: ['model', 'version'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [registry],
  });
  const batchRows = new Histogram({
    name: 'graphpipe_batch_rows',
    help: 'Rows in one run of a model (dynamic batching)',
    labelNames: ['model', 'version'],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
  const batchWait = new Histogram({
    name: 'graphpipe_batch_wait_seconds',
    help: 'Time a request waited for its batch to run',
    labelNames: ['model', 'version'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
    registers: [registry],
  });
  const cacheRows = new Counter({
    name: 'graphpipe_cache_rows_total',
    help: 'Rows looked up in the row cache, by result (hit or miss)',
    labelNames: ['model', 'version', 'result'],
    registers: [registry],
  });
  const timeouts = new Counter({
    name: 'graphpipe_request_timeouts_total',
    help: "Inferences answered at their deadline (the caller's timeout, or the server's) before their model answered",
    labelNames: ['model', 'version'],
    registers: [registry],
  });
  new Gauge({
    name: 'graphpipe_cache_bytes',
    help: 'Bytes of answers held in the row cache',
    labelNames: ['model', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of source().models.served())
        if (m.cachedBytes > 0) this.set({ model: m.name, version: m.version }, m.cachedBytes);
    },
  });
  new Gauge({
    name: 'graphpipe_model_state',
    help: 'Each model version the server knows of, with its state (READY, LOADING, UNLOADING, UNAVAILABLE): 1',
    labelNames: ['model', 'version', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { name, version, state } of source().models.status()) this.set({ model: name, version, state }, 1);
    },
  });
  const repositoryCounter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['model', 'version'], registers: [registry] });
  const loads = repositoryCounter('graphpipe_model_loads_total', 'Model versions loaded (and reloaded)');
  const loadFailures = repositoryCounter('graphpipe_model_load_failures_total', 'Model versions that failed to load');
  const unloads = repositoryCounter('graphpipe_model_unloads_total', 'Model versions unloaded, once closed');
  new Gauge({
    name: 'graphpipe_request_bytes_in_flight',
    help: 'Request body bytes held now',
    registers: [registry],
    collect() {
      this.set(source().load().bytesInFlight);
    },
  });

  return {
    observe(ctx, status, seconds) {
      const { protocol } = ctx.route;
      // Probes, scrapes and unknown paths are not model traffic.
      if (protocol === 'http') return;
      const kind = ctx.kind || 'invalid';
      answered.record(protocol, kind, status, ctx.model ?? '', ctx.version ?? '', seconds);
    },
    batched(model, requests, rows, waited) {
      const labels = { model: model.name, version: model.version };
      batchRequests.observe(labels, requests);
      batchRows.observe(labels, rows);
      for (const seconds of waited) batchWait.observe(labels, seconds);
    },
    cacheLookup(model, hits, misses) {
      const labels = { model: model.name, version: model.version };
      if (hits) cacheRows.inc({ ...labels, result: 'hit' }, hits);
      if (misses) cacheRows.inc({ ...labels, result: 'miss' }, misses);
    },
    timedOut(model) {
      timeouts.inc({ model: model.name, version: model.version });
    },
    observeRepository(repository) {
      repository.on('loaded', ({ name, version }) => loads.inc({ model: name, version }));
      repository.on('failed', ({ name, version = '' }) => loadFailures.inc({ model: name, version }));
      repository.on('unloaded', ({ name, version }) => unloads.inc({ model: name, version }));
    },
    async scrape() {
      if (scrapeCluster) {
        const { text, contentType } = await scrapeCluster();
        return { status: 200, headers: { 'content-type': contentType }, body: text };
      }
      const text = await registry.metrics();
      return { status: 200, headers: { 'content-type': registry.contentType }, body: text };
    },
  };
}
