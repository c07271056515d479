import { AggregatorRegistry, Counter, Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { RequestSeries } from '../src/metrics/request-series.js';

const BOUNDS = [0.0005, 0.005, 10];

function registryWith(observations: ReadonlyArray<[status: number, seconds: number]>) {
  const registry = new Registry();
  const series = new RequestSeries(BOUNDS);
  new Counter({
    name: 'requests_total',
    help: 'h',
    labelNames: ['protocol', 'kind', 'status', 'model', 'version'],
    registers: [registry],
    collect() {
      series.fill(this);
    },
  });
  series.registerHistogram(registry, 'duration_seconds', 'h');
  for (const [status, seconds] of observations) series.record('graphpipe', 'infer', status, 'm', '1', seconds);
  return registry;
}

const labels = 'protocol="graphpipe",kind="infer",model="m",version="1"';

test('requests by status, and one latency histogram across statuses, as prom-client writes them', async () => {
  const text = await registryWith([
    [200, 0.0004],
    [200, 0.003],
    [503, 20],
  ]).metrics();
  expect(text).toContain('requests_total{protocol="graphpipe",kind="infer",status="200",model="m",version="1"} 2');
  expect(text).toContain('requests_total{protocol="graphpipe",kind="infer",status="503",model="m",version="1"} 1');
  expect(text).toContain('# TYPE duration_seconds histogram');
  expect(text).toContain(`duration_seconds_bucket{le="0.0005",${labels}} 1`);
  expect(text).toContain(`duration_seconds_bucket{le="0.005",${labels}} 2`);
  expect(text).toContain(`duration_seconds_bucket{le="10",${labels}} 2`);
  expect(text).toContain(`duration_seconds_bucket{le="+Inf",${labels}} 3`);
  expect(text).toContain(`duration_seconds_sum{${labels}} 20.0034`);
  expect(text).toContain(`duration_seconds_count{${labels}} 3`);
});

test("cluster workers' series add up in prom-client's aggregator", async () => {
  const workers = await Promise.all([
    registryWith([[200, 0.0001]]).getMetricsAsJSON(),
    registryWith([
      [200, 0.001],
      [200, 1],
    ]).getMetricsAsJSON(),
  ]);
  const text = await AggregatorRegistry.aggregate(workers).metrics();
  expect(text).toContain('requests_total{protocol="graphpipe",kind="infer",status="200",model="m",version="1"} 3');
  expect(text).toContain(`duration_seconds_bucket{le="0.0005",${labels}} 1`);
  expect(text).toContain(`duration_seconds_bucket{le="10",${labels}} 3`);
  expect(text).toContain(`duration_seconds_count{${labels}} 3`);
});

test('alternating and repeated label sets each land in their own series, before and after a reset', async () => {
  const registry = new Registry();
  const series = new RequestSeries(BOUNDS);
  series.registerHistogram(registry, 'duration_seconds', 'h');
  const record = (model: string, version: string, status = 200) =>
    series.record('graphpipe', 'infer', status, model, version, 0.001);
  for (const [model, version] of [
    ['a', '1'],
    ['a', '1'],
    ['b', '1'],
    ['a', '2'],
    ['a', '1'],
  ] as const)
    record(model, version);
  record('a', '1', 400);
  const count = (text: string, model: string, version: string) =>
    text.match(
      new RegExp(
        `duration_seconds_count\\{protocol="graphpipe",kind="infer",model="${model}",version="${version}"\\} (\\d+)`,
      ),
    )?.[1];
  let text = await registry.metrics();
  expect([count(text, 'a', '1'), count(text, 'b', '1'), count(text, 'a', '2')]).toEqual(['4', '1', '1']);
  registry.resetMetrics();
  record('a', '1');
  text = await registry.metrics();
  expect([count(text, 'a', '1'), count(text, 'b', '1')]).toEqual(['1', undefined]);
});

test('the same labels under another protocol, or another kind, are series of their own', async () => {
  const registry = new Registry();
  const series = new RequestSeries(BOUNDS);
  series.registerHistogram(registry, 'duration_seconds', 'h');
  series.record('graphpipe', 'infer', 200, 'm', '1', 0.001);
  series.record('v2', 'infer', 200, 'm', '1', 0.001);
  series.record('v2', 'metadata', 200, 'm', '1', 0.001);
  series.record('v2', 'metadata', 200, 'm', '1', 0.001);
  const text = await registry.metrics();
  expect(text).toContain('duration_seconds_count{protocol="graphpipe",kind="infer",model="m",version="1"} 1');
  expect(text).toContain('duration_seconds_count{protocol="v2",kind="infer",model="m",version="1"} 1');
  expect(text).toContain('duration_seconds_count{protocol="v2",kind="metadata",model="m",version="1"} 2');
});
