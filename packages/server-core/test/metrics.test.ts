import { RemoteModel, tensor } from '@graphpipe/client';
import { createFunctionBackend } from '@graphpipe/server-core';
import { expect, test } from 'vitest';
import { post, useServers } from './helpers.js';

const start = useServers();
const echo = () => createFunctionBackend((inputs) => inputs.input0!, { name: 'echo' });

test('GET /metrics counts answers by protocol, kind, status, model and version, with latency and load gauges', async () => {
  const server = await start(echo());
  const model = new RemoteModel(server.url);
  await model.metadata(); // kept, so the inferences need not fetch it to name their outputs
  await model.infer(tensor(new Float32Array([1])));
  await model.infer(tensor(new Float32Array([2])));
  expect((await post(server.url, new Uint8Array([1, 2, 3]))).status).toBe(400);

  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  // Every request series says the protocol, the model and the version it ran on.
  const labels = 'model="echo",version="1"';
  expect(text).toContain(`graphpipe_requests_total{protocol="graphpipe",kind="infer",status="200",${labels}} 2`);
  expect(text).toContain(`graphpipe_requests_total{protocol="graphpipe",kind="metadata",status="200",${labels}} 1`);
  expect(text).toContain(`graphpipe_requests_total{protocol="graphpipe",kind="invalid",status="400",${labels}} 1`);
  expect(text).toContain(`graphpipe_request_duration_seconds_count{protocol="graphpipe",kind="infer",${labels}} 2`);
  expect(text).toContain(`graphpipe_inferences_running{${labels}} 0`);
  expect(text).toContain(`graphpipe_inferences_queued{${labels}} 0`);
  expect(text).toContain('graphpipe_request_bytes_in_flight 0');
  expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
});

test('metrics: false leaves /metrics unserved', async () => {
  const server = await start(echo(), { metrics: false });
  expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
});

test('with custom CORS options (POSTs answered through the Hono app), requests are counted all the same', async () => {
  const server = await start(echo(), { cors: { origin: 'https://ok.example' } });
  const answer = await new RemoteModel(server.url).infer(tensor(new Float32Array([1])), { outputNames: ['output0'] });
  expect(answer.outputs).toHaveLength(1);
  const text = await (await fetch(`${server.url}/metrics`)).text();
  expect(text).toContain(
    'graphpipe_requests_total{protocol="graphpipe",kind="infer",status="200",model="echo",version="1"} 1',
  );
});

test('names that no model has never label the metrics, whatever route they come by', async () => {
  const server = await start(echo());
  const scrapeSize = async () => (await (await fetch(`${server.url}/metrics`)).text()).length;
  const before = await scrapeSize();
  for (let i = 0; i < 10; i++) {
    const name = `nobody-${i}-${'x'.repeat(2000)}`;
    for (const [method, path] of [
      ['GET', `/models/${name}`],
      ['GET', `/models/${name}/versions/1`],
      ['GET', `/models/${name}/examples`],
      ['POST', `/models/${name}`],
      ['GET', `/v2/models/${name}`],
      ['GET', `/v2/models/${name}/ready`],
      ['GET', `/v2/models/${name}/versions/1/ready`],
      ['POST', `/v2/models/${name}/infer`],
      ['GET', `/models/echo/versions/${name}`],
      ['POST', `/v2/models/echo/versions/${name}/infer`],
    ] as const) {
      expect((await fetch(`${server.url}${path}`, { method })).status).toBe(404);
    }
  }
  const text = await (await fetch(`${server.url}/metrics`)).text();
  expect(text).not.toContain('nobody-');
  // A few new series (404s by route kind, the scrape's own numbers), not one per name.
  expect(text.length - before).toBeLessThan(20_000);
});
