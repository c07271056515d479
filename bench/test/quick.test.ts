import { describe, expect, it } from 'vitest';
import { h2loadMissing } from '../src/h2load.js';
import { renderMarkdown } from '../src/report.js';
import { runBenchmarks } from '../src/run.js';

const finitePositive = (label: string, v: unknown) => {
  expect(typeof v, label).toBe('number');
  expect(Number.isFinite(v as number) && (v as number) > 0, `${label} = ${String(v)}`).toBe(true);
};

// Smoke test of the harness: every tier runs at tiny sizes. Nothing is asserted about speed.
describe('bench --quick', () => {
  it('produces every tier with finite positive numbers', { timeout: 180_000 }, async () => {
    const r = await runBenchmarks({ quick: true, progress: false });

    expect(r.meta.quick).toBe(true);
    for (const tier of [
      'codec',
      'e2eLarge',
      'e2eSmall',
      'grpc',
      'realModel',
      'runtimes',
      'edgeOnnx',
      'warmUp',
    ] as const)
      expect(r[tier], tier).toBeDefined();
    const { codec, e2eLarge, e2eSmall, grpc, realModel, runtimes, edgeOnnx, warmUp } = r as Required<typeof r>;
    finitePositive('codec floor request', codec.floorMs.request);
    finitePositive('codec floor response', codec.floorMs.response);
    const methods = new Set(codec.rows.map((row) => row.method));
    expect([...methods].sort()).toEqual([
      'JSON',
      'graphpipe',
      'graphpipe (chunked encode)',
      'graphpipe (into a reused buffer)',
      'protobuf float_val',
      'protobuf tensor_content',
    ]);
    for (const row of codec.rows) {
      for (const k of ['encodeMs', 'decodeMs', 'totalMs', 'ratioToFloor', 'wireBytes'] as const)
        finitePositive(`${row.message} ${row.method} ${k}`, row[k]);
    }
    expect(codec.firstTouch).toHaveLength(2);
    for (const f of codec.firstTouch)
      for (const k of ['bytes', 'warmCopyMs', 'freshCopyMs', 'ratio'] as const)
        finitePositive(`first touch ${f.message} ${k}`, f[k]);

    const servers = new Set(e2eLarge.cells.map((c) => c.server));
    // The Go echo runs where `go` is on PATH, else the results say why not.
    expect(servers.has('go-echo')).toBe(e2eLarge.goSkipped === undefined);
    expect([...servers].filter((s) => s !== 'go-echo').sort()).toEqual([
      'bare-http',
      'client',
      'client-http',
      'graphpipe',
      'json',
      'v2-binary',
      'v2-json',
    ]);
    for (const c of e2eLarge.cells.filter((cell) => cell.server !== 'go-echo')) {
      expect(c.gc, `${c.server} GC counts`).toBeDefined();
      for (const k of ['major', 'minor', 'incremental', 'ms', 'majorPerSec'] as const)
        expect(c.gc![k], `${c.server} gc.${k}`).toBeGreaterThanOrEqual(0);
    }
    for (const w of e2eLarge.wire) {
      finitePositive(`client / load generator batch ${w.batch}`, w.clientToLoadGenerator);
      finitePositive(`client-http / load generator batch ${w.batch}`, w.clientHttpToLoadGenerator);
    }
    for (const c of e2eLarge.cells) {
      const label = `large ${c.server} batch ${c.batch} x${c.concurrency}`;
      for (const k of [
        'requests',
        'seconds',
        'rowsPerSec',
        'ratioToBare',
        'requestBytes',
        'idleRssBytes',
        'peakRssBytes',
        'peakRssOverPayload',
        'serverCpuMsPerRequest',
        'serverCpuRatioToBare',
      ] as const)
        finitePositive(`${label} ${k}`, c[k]);
    }
    expect(new Set(e2eLarge.cells.map((c) => c.concurrency))).toEqual(new Set([1, 5]));
    expect(e2eLarge.generatorCheck.map((c) => [c.batch, c.clients])).toEqual([
      [1, 5],
      [2, 5],
    ]);
    for (const c of e2eLarge.generatorCheck) finitePositive(`generator check batch ${c.batch}`, c.bareToOneClient);
    expect(e2eLarge.v2.length).toBeGreaterThan(0);
    for (const v of e2eLarge.v2)
      finitePositive(`v2 binary / graphpipe batch ${v.batch} x${v.concurrency}`, v.binaryToGraphPipe);
    expect(e2eLarge.v2.filter((v) => v.jsonToNaiveJson !== undefined).length).toBeGreaterThan(0);

    expect(e2eSmall.rows.map((row) => row.server)).toEqual(['graphpipe', 'v2-json', 'bare-http']);
    for (const row of e2eSmall.rows) {
      for (const k of ['requestsPerSec', 'p50Ms', 'p99Ms', 'requests'] as const)
        finitePositive(`small ${row.server} ${k}`, row[k]);
      expect(row.errors + row.non2xx + row.mismatches).toBe(0);
    }
    for (const k of ['requestsPerSec', 'p50', 'p99', 'v2JsonToGraphPipe'] as const)
      finitePositive(`small ratio ${k}`, e2eSmall.ratios[k]);

    // gRPC: h2load's cells where h2load is on PATH (else the results say why not), and the Node cells.
    const h2 = grpc.h2load!;
    expect('skipped' in h2).toBe(h2loadMissing() !== undefined);
    if (!('skipped' in h2)) {
      const { grpcMultiplexed, grpcPerConnection, graphpipe, v2Json, ratios } = h2.small!;
      for (const [side, t] of Object.entries({ grpcMultiplexed, grpcPerConnection, graphpipe, v2Json }))
        for (const k of ['requests', 'seconds', 'requestsPerSec', 'serverCpuUsPerRequest'] as const)
          finitePositive(`h2load small ${side} ${k}`, t[k]);
      for (const [k, v] of Object.entries(ratios)) finitePositive(`h2load small ${k}`, v);
      expect(h2.large!.map((c) => [c.batch, c.concurrency])).toEqual([
        [1, 1],
        [1, 5],
        [2, 1],
        [2, 5],
      ]);
      for (const c of h2.large!) {
        for (const k of ['rowsPerSec', 'serverCpuUsPerRequest'] as const) {
          finitePositive(`h2load large grpc batch ${c.batch} x${c.concurrency} ${k}`, c.grpc[k]);
          finitePositive(`h2load large graphpipe batch ${c.batch} x${c.concurrency} ${k}`, c.graphpipe[k]);
        }
        finitePositive(`h2load large batch ${c.batch} x${c.concurrency} ratio`, c.ratio);
      }
    }
    finitePositive('grpc small (Node loop) ratio', grpc.small!.ratios.toGraphPipeSameGenerator);
    for (const c of grpc.large!) finitePositive(`grpc large (Node) batch ${c.batch} x${c.concurrency}`, c.ratio);

    const m = realModel;
    expect(m.skipped, m.skipped ? `real-model tier skipped: ${m.reason}` : '').toBe(false);
    if (!m.skipped)
      for (const k of [
        'serverRowsPerSec',
        'inProcessRowsPerSec',
        'ratio',
        'transportRowsPerSec',
        'floorRowsPerSec',
        'ratioToFloor',
      ] as const)
        finitePositive(`real model ${k}`, m[k]);
    if (!m.skipped) {
      for (const row of ['off', 'on'] as const)
        for (const k of ['rowsPerSec', 'p50Ms', 'p99Ms'] as const)
          finitePositive(`batching ${row} ${k}`, m.batching[row][k]);
      finitePositive('batching ratio', m.batching.ratio);
    }

    expect(runtimes.rows.map((row) => row.runtime)).toEqual(['node', 'bun', 'deno']);
    for (const row of runtimes.rows) {
      for (const k of ['requestsPerSec', 'p50Ms', 'p99Ms', 'requestsPerSecToNode', 'p50ToNode'] as const)
        finitePositive(`runtimes ${row.runtime} small ${k}`, row.small[k]);
      expect(row.large.length).toBeGreaterThan(0);
      for (const c of row.large)
        for (const k of ['rowsPerSec', 'requests', 'rowsPerSecToNode'] as const)
          finitePositive(`runtimes ${row.runtime} batch ${c.batch} ${k}`, c[k]);
    }

    expect(edgeOnnx.rows.map((row) => row.model)).toEqual(['iris-classifier', 'tiny-conv']);
    for (const row of edgeOnnx.rows) {
      for (const k of ['nodeRowsPerSec', 'webRowsPerSec', 'ratio', 'runs'] as const)
        finitePositive(`edge ${row.model} ${k}`, row[k]);
      expect(row.maxAbsDiff).toBeLessThan(1e-3);
    }

    expect(warmUp.rows.map((row) => row.model)).toEqual(['iris-classifier.onnx', 'tf-iris']);
    for (const row of warmUp.rows) {
      finitePositive(`warm-up ${row.model} ratio`, row.firstRatio);
      for (const setting of [row.cold, row.warm])
        for (const k of ['startupMs', 'firstMs', 'steadyMs', 'firstToSteady'] as const)
          finitePositive(`warm-up ${row.model} --warmup ${setting.warmupRounds} ${k}`, setting[k]);
    }

    const md = renderMarkdown(r);
    for (const heading of [
      '## 1. Codec',
      '## 2. End-to-end, large',
      '## 3. End-to-end, small',
      '## 3b. The Open Inference Protocol over gRPC',
      '## 4. Real model',
      '## 5. Runtimes',
      '## 6. ONNX at the edge',
      '## 7. Warm-up',
    ])
      expect(md).toContain(heading);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });
});
