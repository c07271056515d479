/** Renders BenchResults as markdown tables. */
import type {
  BenchResults,
  CodecResults,
  CodecRow,
  LargeCell,
  LargeResults,
  EdgeOnnxResults,
  GrpcResults,
  H2loadLargeCell,
  H2loadSmall,
  H2loadTotals,
  ModelResults,
  RuntimesResults,
  SmallResults,
  WarmUpResults,
} from './results.js';

const MiB = 1024 * 1024;

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: string): string {
  const sep = align ?? head.map((_, i) => (i === 0 ? ':--' : '--:')).join(' | ');
  return [`| ${head.join(' | ')} |`, `| ${sep} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** A value with ~3 significant digits. */
export function num(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a >= 0.01) return v.toFixed(3);
  return v.toPrecision(2);
}

const ms = (v: number) => `${num(v)} ms`;
const x = (v: number) => `${num(v)}×`;
const mb = (bytes: number) => `${num(bytes / MiB)} MiB`;

function codecRow(r: CodecRow): string[] {
  const scaled = r.scaledFrom
    ? ` (scaled ×${num(r.scaledFrom.of / r.scaledFrom.rows)} from ${r.scaledFrom.rows} of ${r.scaledFrom.of} rows)`
    : '';
  return [
    r.message,
    `${r.method}${scaled}`,
    ms(r.encodeMs),
    ms(r.decodeMs),
    ms(r.totalMs),
    `**${x(r.ratioToFloor)}**`,
    mb(r.wireBytes),
  ];
}

export function renderMarkdown(r: BenchResults): string {
  const out: string[] = [];
  const m = r.meta;
  out.push(`# GraphPipe-TS benchmarks${m.quick ? ' (--quick: harness smoke test, numbers meaningless)' : ''}`);
  out.push(
    `${m.date} · Node ${m.node} · ${m.platform} · ${m.cpus} CPUs · load average at start ${m.loadavg.map((l) => l.toFixed(2)).join(' ')} · ${num(m.seconds)} s. ` +
      'Absolute times on a shared VM are noise; read the ratios, each against a baseline measured in the same run.',
  );

  if (r.codec) renderCodec(out, r.codec);
  if (r.e2eLarge) renderLarge(out, r.e2eLarge);
  if (r.e2eSmall) renderSmall(out, r.e2eSmall);
  if (r.grpc) renderGrpc(out, r.grpc);
  if (r.realModel) renderModel(out, r.realModel);
  if (r.runtimes) renderRuntimes(out, r.runtimes);
  if (r.edgeOnnx) renderEdgeOnnx(out, r.edgeOnnx);
  if (r.warmUp) renderWarmUp(out, r.warmUp);
  return `${out.join('\n\n')}\n`;
}

function renderCodec(out: string[], c: CodecResults): void {
  out.push('## 1. Codec (encode + decode, median of tinybench samples)');
  out.push(
    `Request ${c.request.shape.join('×')} float32 (${mb(c.request.bytes)}), response ${c.response.shape.join('×')} float32 (${mb(c.response.bytes)}). ` +
      `Floor = one warm copy of the message bytes into a preallocated, already-touched buffer: request ${ms(c.floorMs.request)}, response ${ms(c.floorMs.response)}. ` +
      '"× floor" = (encode + decode) / floor.',
  );
  out.push(
    table(['message', 'method', 'encode', 'decode', 'encode+decode', '× floor', 'wire size'], c.rows.map(codecRow)),
  );
  out.push('First touch: allocating a fresh buffer and copying into it, against the warm copy of the same bytes.');
  out.push(
    table(
      ['message', 'bytes', 'warm copy', 'fresh alloc + copy', 'fresh / warm'],
      c.firstTouch.map((f) => [f.message, mb(f.bytes), ms(f.warmCopyMs), ms(f.freshCopyMs), `**${x(f.ratio)}**`]),
    ),
  );
}

function renderLarge(out: string[], l: LargeResults): void {
  out.push('## 2. End-to-end, large requests (rows/s, client → server → client over 127.0.0.1)');
  out.push(
    `Rows of ${l.rowShape.join('×')} float32; identity model. bare-http = node:http echo sent the same encoded bytes (the transport floor); clients = concurrent keep-alive connections from the bench's node:http load generator, which sends each request's bytes encoded once and checks the first answer value by value. ` +
      '"/ bare" = rows/s ÷ bare-http rows/s in the same cell.',
  );
  const key = (cell: LargeCell) => `${cell.batch}/${cell.concurrency}`;
  const groups = new Map<string, LargeCell[]>();
  for (const cell of l.cells) groups.set(key(cell), [...(groups.get(key(cell)) ?? []), cell]);
  const cellsOf = (cells: LargeCell[]) => {
    const get = (server: string) => cells.find((cell) => cell.server === server);
    return { g: get('graphpipe')!, b: get('bare-http')!, j: get('json') };
  };
  out.push(
    table(
      [
        'batch',
        'request',
        'clients',
        'graphpipe rows/s',
        'bare-http rows/s',
        'graphpipe / bare',
        'json rows/s',
        'json / bare',
        'graphpipe / json',
      ],
      [...groups.values()].map((cells) => {
        const { g, b, j } = cellsOf(cells);
        return [
          String(g.batch),
          mb(g.requestBytes),
          String(g.concurrency),
          num(g.rowsPerSec),
          num(b.rowsPerSec),
          `**${x(g.ratioToBare)}**`,
          j ? num(j.rowsPerSec) : 'n/a',
          j ? x(j.ratioToBare) : 'n/a',
          j ? x(g.rowsPerSec / j.rowsPerSec) : 'n/a',
        ];
      }),
    ),
  );
  if (l.generatorCheck.length) {
    out.push(
      'Load generator check: bare-http rows/s with more clients ÷ with one, ' +
        'near or above 1× where the generator is not what limits a cell (on 2 cores it shares them with the server): ' +
        l.generatorCheck.map((c) => `batch ${c.batch}, ${c.clients} clients: ${x(c.bareToOneClient)}`).join('; ') +
        '.',
    );
  }
  out.push(
    "Server process costs in the same cells. CPU = user + system ms per request (and × bare-http's); " +
      'faulted = fresh pages first touched per request × 4 KiB, as a multiple of the request size; ' +
      "peak RSS as a multiple of one request body (in parentheses: peak minus RSS at the cell's start).",
  );
  const fmt = (c: LargeCell | undefined, f: (c: LargeCell) => string) => (c ? f(c) : '—');
  const cpu = (c: LargeCell) => `${ms(c.serverCpuMsPerRequest)} (${x(c.serverCpuRatioToBare)})`;
  const faulted = (c: LargeCell) => x(c.faultedBytesOverPayload);
  const rss = (c: LargeCell) => `${x(c.peakRssOverPayload)} (${x(c.peakGrowthOverPayload)})`;
  out.push(
    table(
      [
        'batch',
        'clients',
        'CPU graphpipe',
        'CPU bare',
        'CPU json',
        'faulted graphpipe',
        'faulted bare',
        'faulted json',
        'peak RSS graphpipe',
        'peak RSS bare',
        'peak RSS json',
      ],
      [...groups.values()].map((cells) => {
        const { g, b, j } = cellsOf(cells);
        return [
          String(g.batch),
          String(g.concurrency),
          cpu(g),
          cpu(b),
          fmt(j, cpu),
          faulted(g),
          faulted(b),
          fmt(j, faulted),
          rss(g),
          rss(b),
          fmt(j, rss),
        ];
      }),
    ),
  );
  renderTargets(out, l, [...groups.values()]);
  out.push(
    'The same server over the Open Inference Protocol (v2), in the same cells: binary tensor data against GraphPipe, ' +
      'and JSON (our codec on both sides) against the naive JSON server (JSON.parse/stringify on both sides).',
  );
  out.push(
    table(
      ['batch', 'clients', 'v2 binary rows/s', 'v2 binary / graphpipe', 'v2 JSON rows/s', 'v2 JSON / naive JSON'],
      l.v2.map((v) => {
        const cell = (server: string) =>
          l.cells.find((c) => c.server === server && c.batch === v.batch && c.concurrency === v.concurrency);
        const json = cell('v2-json');
        return [
          String(v.batch),
          String(v.concurrency),
          num(cell('v2-binary')!.rowsPerSec),
          `**${x(v.binaryToGraphPipe)}**`,
          json ? num(json.rowsPerSec) : 'n/a',
          v.jsonToNaiveJson === undefined ? 'n/a' : `**${x(v.jsonToNaiveJson)}**`,
        ];
      }),
    ),
  );
  out.push(l.notes.map((n) => `- ${n}`).join('\n'));
}

/** The wire (Go echo), the server's collections and our client, per cell. */
function renderTargets(out: string[], l: LargeResults, groups: readonly LargeCell[][]): void {
  out.push(
    'The wire, collections and our client in the same cells. Go = a plain Go `net/http` echo sent the same bytes as bare-http ' +
      `(${l.goSkipped ? `not run: ${l.goSkipped}` : "the wire's limit"}); major GCs/s = the server process's major (mark-compact) ` +
      "collections per second of load, and graphpipe's over bare-http's; client = our `RemoteModel` calling the same server " +
      "(encode, fetch, decode) against the load generator's rows/s; client-http = the same over `nodeHttpTransport()` with " +
      "`reuse: true`; peak RSS = the graphpipe server's, in MiB.",
  );
  // The rate, and the count behind it.
  const gcRate = (c: LargeCell | undefined) => (c?.gc ? `${num(c.gc.majorPerSec)} (${c.gc.major})` : '—');
  const gcRatio = (g: LargeCell) => {
    if (!g.gc) return '—';
    return g.gc.majorPerSecToBare === undefined ? 'bare ran none' : `**${x(g.gc.majorPerSecToBare)}**`;
  };
  out.push(
    table(
      [
        'batch',
        'clients',
        'graphpipe rows/s',
        'Go echo rows/s',
        'graphpipe / Go',
        'major GCs/s graphpipe',
        'major GCs/s bare',
        'GCs graphpipe / bare',
        'GC ms/s graphpipe',
        'client rows/s',
        'client / load generator',
        'client-http rows/s',
        'client-http / load generator',
        'peak RSS graphpipe',
      ],
      groups.map((cells) => {
        const get = (server: string) => cells.find((cell) => cell.server === server);
        const g = get('graphpipe')!;
        const b = get('bare-http');
        const go = get('go-echo');
        const client = get('client');
        const clientHttp = get('client-http');
        const wire = l.wire.find((w) => w.batch === g.batch && w.concurrency === g.concurrency);
        return [
          String(g.batch),
          String(g.concurrency),
          num(g.rowsPerSec),
          go ? num(go.rowsPerSec) : '—',
          wire?.graphPipeToGo === undefined ? '—' : `**${x(wire.graphPipeToGo)}**`,
          gcRate(g),
          gcRate(b),
          gcRatio(g),
          g.gc ? num(g.gc.ms / g.seconds) : '—',
          client ? num(client.rowsPerSec) : '—',
          wire?.clientToLoadGenerator === undefined ? '—' : `**${x(wire.clientToLoadGenerator)}**`,
          clientHttp ? num(clientHttp.rowsPerSec) : '—',
          wire?.clientHttpToLoadGenerator === undefined ? '—' : `**${x(wire.clientHttpToLoadGenerator)}**`,
          mb(g.peakRssBytes),
        ];
      }),
    ),
  );
}

function renderSmall(out: string[], s: SmallResults): void {
  out.push(
    `## 3. End-to-end, small requests (1×4 float32, ${s.requestBytes} B body; autocannon, ${s.connections} connections, ${s.durationSec} s)`,
  );
  out.push(
    table(
      ['server', 'requests/s', 'p50', 'p99', 'requests', 'errors / non-2xx / mismatches'],
      s.rows.map((row) => [
        row.server,
        num(row.requestsPerSec),
        ms(row.p50Ms),
        ms(row.p99Ms),
        String(row.requests),
        `${row.errors} / ${row.non2xx} / ${row.mismatches}`,
      ]),
    ),
  );
  out.push(
    `graphpipe / bare-http: requests/s **${x(s.ratios.requestsPerSec)}**, p50 latency ${x(s.ratios.p50)}, p99 latency ${x(s.ratios.p99)}. ` +
      `v2-json (the same server, Open Inference Protocol JSON) / graphpipe: requests/s **${x(s.ratios.v2JsonToGraphPipe)}**.\n` +
      s.verified.map((v) => `- checked: ${v}`).join('\n'),
  );
}

function renderGrpc(out: string[], g: GrpcResults): void {
  out.push('## 3b. The Open Inference Protocol over gRPC');
  if (g.h2load && 'skipped' in g.h2load) out.push(`h2load cells skipped: ${g.h2load.skipped}.`);
  else if (g.h2load) {
    if (g.h2load.small) renderGrpcSmallH2load(out, g.h2load.small);
    if (g.h2load.large) renderGrpcLargeH2load(out, g.h2load.large);
  }
  if (g.small || g.large) {
    out.push(
      '**Node load generators** (@grpc/grpc-js, one HTTP/2 connection per caller): bounded by the JavaScript clients, not by the server.',
    );
  }
  if (g.small) {
    const { grpc, graphpipeNode, ratios } = g.small;
    out.push(
      table(
        ['small requests (1×4 float32)', 'requests/s', 'p50', 'p99'],
        [
          ['grpc ModelInfer, raw contents', num(grpc.requestsPerSec), ms(grpc.p50Ms), ms(grpc.p99Ms)],
          [
            'graphpipe, node:http closed loop',
            num(graphpipeNode.requestsPerSec),
            ms(graphpipeNode.p50Ms),
            ms(graphpipeNode.p99Ms),
          ],
        ],
      ),
    );
    const parts = [`grpc / graphpipe (same kind of Node closed loop): ${x(ratios.toGraphPipeSameGenerator)}`];
    if (ratios.toGraphPipeAutocannon !== undefined)
      parts.push(`grpc / graphpipe (autocannon, section 3): ${x(ratios.toGraphPipeAutocannon)}`);
    if (ratios.toV2JsonAutocannon !== undefined)
      parts.push(`grpc / v2-json (autocannon): ${x(ratios.toV2JsonAutocannon)}`);
    out.push(`${parts.join('; ')}.`);
  }
  if (g.large) {
    out.push(
      table(
        ['large (224×224×3 float32 rows)', 'clients', 'grpc rows/s', 'graphpipe rows/s', 'grpc / graphpipe'],
        g.large.map((c) => [
          `batch ${c.batch}`,
          String(c.concurrency),
          num(c.grpcRowsPerSec),
          num(c.graphpipeRowsPerSec),
          x(c.ratio),
        ]),
      ),
    );
  }
}

const us = (v: number) => `${num(v)} µs`;

function renderGrpcSmallH2load(out: string[], h: H2loadSmall): void {
  const n = h.connections;
  out.push(
    `**h2load** (C, one generator for every front door; the servers each in a process of their own). Small requests (1×4 float32), ` +
      `${num(h.requestsPerRound)} per round, a warm-up round then ${h.rounds} round${h.rounds === 1 ? '' : 's'} alternating the servers. ` +
      'Server CPU = user + system time of the server process over the requests it served.',
  );
  const row = (label: string, shape: string, t: H2loadTotals) => [
    label,
    shape,
    num(t.requestsPerSec),
    us(t.serverCpuUsPerRequest),
    x(t.requestsPerSec / h.graphpipe.requestsPerSec),
  ];
  out.push(
    table(
      ['small requests', 'connections × in flight', 'requests/s', 'server CPU / request', '/ graphpipe'],
      [
        row('grpc ModelInfer, multiplexed (h2c)', `1 × ${n}`, h.grpcMultiplexed),
        row('grpc ModelInfer, one call per connection (h2c)', `${n} × 1`, h.grpcPerConnection),
        row('graphpipe (HTTP/1.1)', `${n} × 1`, h.graphpipe),
        row('REST v2 JSON (HTTP/1.1)', `${n} × 1`, h.v2Json),
      ],
    ),
  );
  out.push(
    `grpc multiplexed / graphpipe: **${x(h.ratios.multiplexedToGraphPipe)}**; grpc multiplexed / v2-json: **${x(h.ratios.multiplexedToV2Json)}**; ` +
      `grpc one call per connection / graphpipe: ${x(h.ratios.perConnectionToGraphPipe)} (gRPC clients multiplex calls on one channel; ` +
      "per connection, Node's HTTP/2 costs more per stream than llhttp per HTTP/1.1 request).\n" +
      h.verified.map((v) => `- checked: ${v}`).join('\n'),
  );
}

function renderGrpcLargeH2load(out: string[], cells: readonly H2loadLargeCell[]): void {
  out.push(
    'Large requests (224×224×3 float32 rows, raw contents), h2load: grpc with `clients` calls in flight on one h2c connection, ' +
      'graphpipe on `clients` HTTP/1.1 connections; a warm-up round, then alternating rounds.',
  );
  out.push(
    table(
      [
        'large',
        'clients',
        'grpc rows/s',
        'graphpipe rows/s',
        'grpc / graphpipe',
        'server CPU / request: grpc',
        'graphpipe',
        'grpc / graphpipe',
      ],
      cells.map((c) => [
        `batch ${c.batch} (${mb(c.requestBytes)})`,
        String(c.concurrency),
        num(c.grpc.rowsPerSec),
        num(c.graphpipe.rowsPerSec),
        `**${x(c.ratio)}**`,
        ms(c.grpc.serverCpuUsPerRequest / 1000),
        ms(c.graphpipe.serverCpuUsPerRequest / 1000),
        x(c.cpuRatio),
      ]),
    ),
  );
}

function renderModel(out: string[], rm: ModelResults): void {
  out.push('## 4. Real model');
  if (rm.skipped) out.push(`Skipped: ${rm.reason}`);
  else {
    out.push(`${rm.model}, batch ${rm.batch}, 1 client; outputs agree (max |diff| ${rm.maxAbsDiff}).`);
    out.push(
      table(
        ['path', 'rows/s', 'calls', '/ in-process', '/ floor'],
        [
          [
            'client → HTTP → server → onnx backend',
            num(rm.serverRowsPerSec),
            String(rm.serverRequests),
            `**${x(rm.ratio)}**`,
            `**${x(rm.ratioToFloor)}**`,
          ],
          ['in-process onnxruntime session.run', num(rm.inProcessRowsPerSec), String(rm.inProcessRuns), '1×', ''],
          ['transport alone (fetch → bare node:http, same bytes)', num(rm.transportRowsPerSec), '', '', ''],
          ['floor: transport + in-process time per row', num(rm.floorRowsPerSec), '', '', '1×'],
        ],
      ),
    );
    out.push(
      '- "/ floor" is what the server itself costs: 1× means it adds nothing beyond moving the bytes and running the model. ' +
        'For a model whose compute is short, moving the request takes longer than computing on it, so "/ in-process" is bounded by the transport.',
    );
    const b = rm.batching;
    out.push(
      `Dynamic batching: ${b.clients} clients at once, one row each (maxBatchSize ${b.maxBatchSize}, maxDelayMs ${b.maxDelayMs}).`,
    );
    out.push(
      table(
        ['batching', 'rows/s', 'requests', 'p50', 'p99'],
        [
          ['off', num(b.off.rowsPerSec), String(b.off.requests), ms(b.off.p50Ms), ms(b.off.p99Ms)],
          ['on', num(b.on.rowsPerSec), String(b.on.requests), ms(b.on.p50Ms), ms(b.on.p99Ms)],
        ],
      ),
    );
    out.push(`on / off: rows/s **${x(b.ratio)}**.`);
  }
}

function renderRuntimes(out: string[], rt: RuntimesResults): void {
  out.push("## 5. Runtimes: each one's own entry point (identity model)");
  out.push(
    `Small: 1×4 float32, autocannon, ${rt.connections} connections, ${rt.durationSec} s. ` +
      `Large: rows of ${rt.rowShape.join('×')} float32, the large tier's load generator, 1 connection. Ratios are to Node's \`serve\`.`,
  );
  const batches = rt.rows[0]?.large.map((c) => c.batch) ?? [];
  out.push(
    table(
      [
        'runtime',
        'small: requests/s',
        '/ Node',
        'p50',
        '/ Node',
        'p99',
        ...batches.flatMap((b) => [`batch ${b}: rows/s`, '/ Node']),
      ],
      rt.rows.map((row) => [
        row.runtime,
        num(row.small.requestsPerSec),
        `**${x(row.small.requestsPerSecToNode)}**`,
        ms(row.small.p50Ms),
        x(row.small.p50ToNode),
        ms(row.small.p99Ms),
        ...row.large.flatMap((c) => [num(c.rowsPerSec), `**${x(c.rowsPerSecToNode)}**`]),
      ]),
    ),
  );
}

function renderEdgeOnnx(out: string[], e: EdgeOnnxResults): void {
  out.push('## 6. ONNX at the edge: onnxruntime-web (WebAssembly, 1 thread) against onnxruntime-node, in process');
  out.push(
    table(
      ['model', 'batch', 'onnxruntime-node rows/s', 'onnxruntime-web rows/s', 'web / node', 'max abs diff'],
      e.rows.map((row) => [
        row.model,
        String(row.batch),
        num(row.nodeRowsPerSec),
        num(row.webRowsPerSec),
        `**${x(row.ratio)}**`,
        row.maxAbsDiff.toPrecision(2),
      ]),
    ),
  );
}

function renderWarmUp(out: string[], w: WarmUpResults): void {
  out.push(`## 7. Warm-up: the first inference of a fresh server, without and with \`--warmup ${w.warmupRounds}\``);
  out.push(
    `Each model served by the CLI in a process of its own, ${w.rounds} round(s) per setting, alternating; medians. ` +
      `Steady: the median of the ${w.steadyRequests} inferences after the first, on the same server. ` +
      'Startup: from starting the CLI to its listening, which warm-up delays.',
  );
  out.push(
    table(
      [
        'model',
        'first, cold',
        'first / steady, cold',
        'first, warmed',
        'first / steady, warmed',
        'cold first / warmed first',
        'startup, cold',
        'startup, warmed',
      ],
      w.rows.map((row) => [
        row.model,
        ms(row.cold.firstMs),
        x(row.cold.firstToSteady),
        ms(row.warm.firstMs),
        x(row.warm.firstToSteady),
        `**${x(row.firstRatio)}**`,
        ms(row.cold.startupMs),
        ms(row.warm.startupMs),
      ]),
    ),
  );
}
