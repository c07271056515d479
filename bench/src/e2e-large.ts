/**
 * End-to-end large tier (the seed's second experiment): client -> server -> client with the
 * seed's request rows (224x224x3 float32) at several batch sizes, with 1 and 5 concurrent
 * clients, in rows/s. Baselines from the same run: a bare node:http echo (the transport floor,
 * sent the same bytes) and a JSON server doing the same work. The same
 * server is also called over the Open Inference Protocol, with binary tensor data and with JSON.
 * Each server runs in a child process whose peak RSS is measured per cell; the load comes from
 * large-client.ts (pre-encoded bytes over node:http), so the cells measure the servers.
 */
import type { BenchConfig } from './config.js';
import { IMAGE_ROW, rowElements } from './data.js';
import { drive } from './drive.js';
import { buildGoEcho, startGoEcho } from './go-echo.js';
import { largeClient } from './large-client.js';
import { progress } from './progress.js';
import type { CellGc, LargeCell, LargeResults, LargeServer } from './results.js';
import { type MemorySample, type ServerKind, type ServerProcess, startServer } from './server-process.js';

const KIND: Record<Exclude<LargeServer, 'go-echo'>, ServerKind> = {
  graphpipe: 'graphpipe-identity',
  'bare-http': 'bare-echo',
  json: 'json-echo',
  // The same server, in a process of its own so its CPU and memory are measured alone.
  'v2-binary': 'graphpipe-identity',
  'v2-json': 'graphpipe-identity',
  client: 'graphpipe-identity',
  'client-http': 'graphpipe-identity',
};

type Cell = Omit<LargeCell, 'ratioToBare' | 'serverCpuRatioToBare' | 'gc'> & {
  readonly gc?: Omit<CellGc, 'majorPerSecToBare'>;
};

const PAGE_SIZE = 4096;

/** Measured: JSON.stringify of uniform [0, 1) float32 values averages ~19.3 characters per value. */
const JSON_CHARS_PER_VALUE = 19.3;

/**
 * One (batch, concurrency) cell for every server: `rounds` short turns per server, servers
 * alternating, so drift in the (shared, noisy) machine's load hits them alike.
 */
async function runCells(
  servers: ReadonlyArray<readonly [LargeServer, ServerProcess]>,
  batch: number,
  concurrency: number,
  config: BenchConfig,
  tick: (label: string) => void,
): Promise<Cell[]> {
  const requestBytes = batch * rowElements(IMAGE_ROW) * 4;
  const rounds = config.large.rounds;
  const state = await Promise.all(
    servers.map(async ([server, proc]) => ({
      server,
      proc,
      client: largeClient(server, proc.url, batch, concurrency),
      idle: await proc.memory(true),
      requests: 0,
      served: 0,
      rows: 0,
      seconds: 0,
    })),
  );
  try {
    for (let round = 0; round < rounds; round++) {
      for (const s of state) {
        const r = await drive(
          {
            concurrency,
            durationMs: config.large.durationMs / rounds,
            minRequestsPerClient: Math.ceil(config.large.minRequestsPerClient / rounds),
            maxRequests: Math.ceil(config.large.maxRequests / rounds),
            warmupPerClient: round === 0 ? 1 : 0,
          },
          s.client.once,
        );
        s.requests += r.requests;
        s.served += r.requests + (round === 0 ? concurrency : 0);
        s.rows += r.rows;
        s.seconds += r.seconds;
        tick(`batch ${batch} x${concurrency}: ${s.server} round ${round + 1}/${rounds}`);
      }
    }
  } finally {
    for (const s of state) s.client.close();
  }
  return Promise.all(
    state.map(async (s) => {
      const mem = await s.proc.memory(true);
      return {
        server: s.server,
        batch,
        concurrency,
        requestBytes,
        requests: s.requests,
        seconds: s.seconds,
        rowsPerSec: s.rows / s.seconds,
        idleRssBytes: s.idle.rssBytes,
        peakRssBytes: mem.peakBytes,
        peakRssOverPayload: mem.peakBytes / requestBytes,
        peakGrowthOverPayload: Math.max(0, mem.peakBytes - s.idle.rssBytes) / requestBytes,
        peakSource: mem.peakSource,
        serverCpuMsPerRequest:
          (mem.cpuUserUs + mem.cpuSystemUs - s.idle.cpuUserUs - s.idle.cpuSystemUs) / 1000 / s.served,
        faultedBytesOverPayload: ((mem.minorFaults - s.idle.minorFaults) * PAGE_SIZE) / s.served / requestBytes,
        ...gcOver(s.idle, mem, s.seconds),
      };
    }),
  );
}

/** The collections between two samples of a Node server (none for the Go echo). */
function gcOver(start: MemorySample, end: MemorySample, seconds: number): { gc?: Cell['gc'] } {
  if (!start.gc || !end.gc) return {};
  const major = end.gc.gcMajor - start.gc.gcMajor;
  return {
    gc: {
      major,
      minor: end.gc.gcMinor - start.gc.gcMinor,
      incremental: end.gc.gcIncremental - start.gc.gcIncremental,
      ms: end.gc.gcMs - start.gc.gcMs,
      majorPerSec: major / seconds,
    },
  };
}

function gcRatio(majorPerSec: number, bareMajorPerSec: number): { majorPerSecToBare?: number } {
  return bareMajorPerSec > 0 ? { majorPerSecToBare: majorPerSec / bareMajorPerSec } : {};
}

export async function runLarge(config: BenchConfig): Promise<LargeResults> {
  const { batches, concurrency, jsonBatches } = config.large;
  const go = await buildGoEcho();
  const goBinary = 'binary' in go ? go.binary : undefined;
  const serversAt = (batch: number): LargeServer[] => [
    'graphpipe',
    'client',
    'client-http',
    'v2-binary',
    'bare-http',
    ...(goBinary ? (['go-echo'] as const) : []),
    ...(jsonBatches.includes(batch) ? (['json', 'v2-json'] as const) : []),
  ];
  const total = batches.reduce((n, b) => n + serversAt(b).length * concurrency.length * config.large.rounds, 0);
  const bar = progress('e2e-large', total, config.progress);
  const cells: Cell[] = [];
  const procs = new Map<LargeServer, ServerProcess>();
  const serverFor = async (s: LargeServer) => {
    let p = procs.get(s);
    if (!p) {
      p = s === 'go-echo' ? await startGoEcho(goBinary!) : await startServer(KIND[s]);
      procs.set(s, p);
    }
    return p;
  };
  const closeAll = async () => {
    await Promise.all([...procs.values()].map((p) => p.close()));
    procs.clear();
  };
  try {
    for (const batch of batches) {
      const servers: Array<readonly [LargeServer, ServerProcess]> = [];
      for (const s of serversAt(batch)) servers.push([s, await serverFor(s)]);
      for (const c of concurrency) cells.push(...(await runCells(servers, batch, c, config, (l) => bar.tick(l))));
      if (config.large.freshServerPerBatch) await closeAll();
    }
  } finally {
    await closeAll();
    bar.stop();
  }
  const inCell = (server: LargeServer, c: Cell) =>
    cells.find((b) => b.server === server && b.batch === c.batch && b.concurrency === c.concurrency);
  const bare = (c: Cell) => inCell('bare-http', c)!;
  const skipped = batches.filter((b) => !jsonBatches.includes(b));
  return {
    rowShape: [...IMAGE_ROW],
    cells: cells.map(({ gc, ...c }) => ({
      ...c,
      ratioToBare: c.rowsPerSec / bare(c).rowsPerSec,
      serverCpuRatioToBare: c.serverCpuMsPerRequest / bare(c).serverCpuMsPerRequest,
      ...(gc ? { gc: { ...gc, ...gcRatio(gc.majorPerSec, bare(c).gc!.majorPerSec) } } : {}),
    })),
    v2: cells
      .filter((c) => c.server === 'graphpipe')
      .map((g) => {
        const json = inCell('json', g);
        const v2Json = inCell('v2-json', g);
        return {
          batch: g.batch,
          concurrency: g.concurrency,
          binaryToGraphPipe: inCell('v2-binary', g)!.rowsPerSec / g.rowsPerSec,
          ...(json && v2Json ? { jsonToNaiveJson: v2Json.rowsPerSec / json.rowsPerSec } : {}),
        };
      }),
    wire: cells
      .filter((c) => c.server === 'graphpipe')
      .map((g) => {
        const goEcho = inCell('go-echo', g);
        const client = inCell('client', g);
        const clientHttp = inCell('client-http', g);
        return {
          batch: g.batch,
          concurrency: g.concurrency,
          ...(goEcho ? { graphPipeToGo: g.rowsPerSec / goEcho.rowsPerSec } : {}),
          ...(client ? { clientToLoadGenerator: client.rowsPerSec / g.rowsPerSec } : {}),
          ...(clientHttp ? { clientHttpToLoadGenerator: clientHttp.rowsPerSec / g.rowsPerSec } : {}),
        };
      }),
    ...('skipped' in go ? { goSkipped: go.skipped } : {}),
    generatorCheck: cells
      .filter((c) => c.server === 'bare-http' && c.concurrency > 1)
      .map((c) => ({
        batch: c.batch,
        clients: c.concurrency,
        bareToOneClient: c.rowsPerSec / inCell('bare-http', { ...c, concurrency: 1 })!.rowsPerSec,
      })),
    notes: [
      `each cell: ${config.large.rounds} alternating rounds per server, in all >= ${config.large.durationMs} ms and >= ${config.large.minRequestsPerClient} requests per client, after 1 warm-up request per client; load: each request's bytes encoded once and sent over node:http keep-alive connections, the first answer decoded and checked`,
      ...(jsonBatches.length === 0 ? ['JSON servers not run (--no-json)'] : []),
      ...(skipped.length && jsonBatches.length
        ? [
            `JSON measured at batch ${jsonBatches.join(', ')} only: a ${Math.max(...skipped)}-row JSON body is ~${Math.round((Math.max(...skipped) * rowElements(IMAGE_ROW) * JSON_CHARS_PER_VALUE) / 1e6)} MB of text (the codec tier times JSON on a slice)`,
          ]
        : []),
      "peak RSS is the server process's VmHWM over the cell (reset at its start); payload = one request body",
      "server CPU = the server process's user + system time per request served; faulted = minor page faults x 4 KiB per request, over the request size (fresh memory the server touched)",
      "GCs = the Node server process's perf_hooks 'gc' entries over the cell (warm-up included), per second of the cell's measured time",
      "client = RemoteModel (the runtime's fetch) calling its own graphpipe server process, encoding and decoding every call and checking every answer; client-http = the same with nodeHttpTransport() and reuse: true, one model per connection",
      ...('skipped' in go ? [`no Go echo: ${go.skipped}`] : []),
    ],
  };
}
