/** The shape of bench/results/*.json. Every comparison is a ratio to a baseline from the same run. */

export interface CodecRow {
  readonly message: 'request' | 'response';
  readonly method: string;
  /** Median ms per call (scaled to the full message when `scaledFrom` is set). */
  readonly encodeMs: number;
  readonly decodeMs: number;
  readonly totalMs: number;
  /** totalMs / the floor (one warm copy of the message's bytes). */
  readonly ratioToFloor: number;
  /** Bytes on the wire for the full message (estimated from the slice when scaled). */
  readonly wireBytes: number;
  /** Measured on this fraction of the rows and scaled linearly; absent when measured at full size. */
  readonly scaledFrom?: { readonly rows: number; readonly of: number };
  readonly note?: string;
}

export interface FirstTouch {
  readonly message: 'request' | 'response';
  readonly bytes: number;
  readonly warmCopyMs: number;
  readonly freshCopyMs: number;
  /** freshCopyMs / warmCopyMs */
  readonly ratio: number;
}

export interface CodecResults {
  readonly request: { readonly shape: readonly number[]; readonly bytes: number };
  readonly response: { readonly shape: readonly number[]; readonly bytes: number };
  readonly floorMs: { readonly request: number; readonly response: number };
  readonly rows: readonly CodecRow[];
  readonly firstTouch: readonly FirstTouch[];
}

/**
 * v2-binary and v2-json: the same server as graphpipe, called over the Open Inference Protocol.
 * client: the same server called by our RemoteModel (encoding and decoding each call, over fetch)
 * instead of the load generator; client-http: the same over nodeHttpTransport with `reuse`.
 * go-echo: a plain Go net/http echo sent bare-http's bytes (the wire's limit).
 */
export type LargeServer =
  | 'graphpipe'
  | 'bare-http'
  | 'go-echo'
  | 'json'
  | 'v2-binary'
  | 'v2-json'
  | 'client'
  | 'client-http';

export interface LargeCell {
  readonly server: LargeServer;
  readonly batch: number;
  readonly concurrency: number;
  readonly requestBytes: number;
  readonly requests: number;
  readonly seconds: number;
  readonly rowsPerSec: number;
  /** rowsPerSec / bare-http rowsPerSec in the same (batch, concurrency) cell. */
  readonly ratioToBare: number;
  /** The server process's RSS when the cell started, and its peak during the cell. */
  readonly idleRssBytes: number;
  readonly peakRssBytes: number;
  /** peakRssBytes / requestBytes, and (peak - idle) / requestBytes. */
  readonly peakRssOverPayload: number;
  readonly peakGrowthOverPayload: number;
  readonly peakSource: 'VmHWM' | 'sampled';
  /** Server process CPU time (user + system) per request served, and its ratio to bare-http's. */
  readonly serverCpuMsPerRequest: number;
  readonly serverCpuRatioToBare: number;
  /** Minor page faults x page size per request served, over requestBytes: fresh memory touched. */
  readonly faultedBytesOverPayload: number;
  /** The server process's garbage collections during the cell (absent for the Go echo). */
  readonly gc?: CellGc;
}

/** perf_hooks 'gc' entries of a server process over one cell, warm-up included. */
export interface CellGc {
  readonly major: number;
  readonly minor: number;
  readonly incremental: number;
  /** Total GC time, ms. */
  readonly ms: number;
  /** major / the cell's measured seconds. */
  readonly majorPerSec: number;
  /** majorPerSec / bare-http's majorPerSec in the same cell; absent when the echo ran none. */
  readonly majorPerSecToBare?: number;
}

/** The Open Inference Protocol against the same-run baselines, per (batch, concurrency) cell. */
export interface V2LargeRatio {
  readonly batch: number;
  readonly concurrency: number;
  /** v2-binary rows/s ÷ graphpipe rows/s. */
  readonly binaryToGraphPipe: number;
  /** v2-json rows/s ÷ the naive JSON server's rows/s, where both ran. */
  readonly jsonToNaiveJson?: number;
}

/**
 * The load generator checked: bare-http rows/s with more clients ÷ with one, per batch. Below 1×
 * the clients, not the server, would be what limits a cell.
 */
export interface GeneratorCheck {
  readonly batch: number;
  readonly clients: number;
  readonly bareToOneClient: number;
}

/**
 * The targets' ratios per (batch, concurrency) cell: our server against the plain Go echo (the
 * wire), and our client against the load generator, both on the same server in the same cell.
 */
export interface WireLargeRatio {
  readonly batch: number;
  readonly concurrency: number;
  /** graphpipe rows/s ÷ go-echo rows/s; absent when Go was not available. */
  readonly graphPipeToGo?: number;
  /** client (RemoteModel over fetch) rows/s ÷ graphpipe (load generator) rows/s. */
  readonly clientToLoadGenerator?: number;
  /** client-http (RemoteModel over node:http, reuse on) rows/s ÷ graphpipe (load generator) rows/s. */
  readonly clientHttpToLoadGenerator?: number;
}

export interface LargeResults {
  readonly rowShape: readonly number[];
  readonly cells: readonly LargeCell[];
  readonly v2: readonly V2LargeRatio[];
  readonly wire: readonly WireLargeRatio[];
  /** Why the Go echo is missing, when it is. */
  readonly goSkipped?: string;
  readonly generatorCheck: readonly GeneratorCheck[];
  readonly notes: readonly string[];
}

export interface SmallRow {
  /** v2-json: the graphpipe server called with Open Inference Protocol JSON requests. */
  readonly server: 'graphpipe' | 'bare-http' | 'v2-json';
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly mismatches: number;
}

export interface SmallResults {
  readonly connections: number;
  readonly durationSec: number;
  readonly requestBytes: number;
  readonly rows: readonly SmallRow[];
  /** graphpipe / bare-http, and v2-json / graphpipe in requests/s. */
  readonly ratios: {
    readonly requestsPerSec: number;
    readonly p50: number;
    readonly p99: number;
    readonly v2JsonToGraphPipe: number;
  };
  /** How the bodies were checked to arrive intact. */
  readonly verified: readonly string[];
}

export interface BatchingRow {
  readonly rowsPerSec: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export type ModelResults =
  | {
      readonly skipped: false;
      readonly model: string;
      readonly batch: number;
      readonly serverRowsPerSec: number;
      readonly inProcessRowsPerSec: number;
      /** serverRowsPerSec / inProcessRowsPerSec */
      readonly ratio: number;
      /** The same bytes to a bare node:http server answering as many bytes: transport alone. */
      readonly transportRowsPerSec: number;
      /** What a server adding nothing would reach: transport time + in-process time per row. */
      readonly floorRowsPerSec: number;
      /** serverRowsPerSec / floorRowsPerSec */
      readonly ratioToFloor: number;
      readonly serverRequests: number;
      readonly inProcessRuns: number;
      readonly maxAbsDiff: number;
      /** Many single-row clients at once: dynamic batching off and on. */
      readonly batching: {
        readonly clients: number;
        readonly maxBatchSize: number;
        readonly maxDelayMs: number;
        readonly off: BatchingRow;
        readonly on: BatchingRow;
        /** on.rowsPerSec / off.rowsPerSec */
        readonly ratio: number;
      };
    }
  | { readonly skipped: true; readonly reason: string };

export interface RuntimeRow {
  readonly runtime: 'node' | 'bun' | 'deno';
  readonly small: {
    readonly requestsPerSec: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    /** requests/s and p50 latency over Node's */
    readonly requestsPerSecToNode: number;
    readonly p50ToNode: number;
  };
  readonly large: ReadonlyArray<{
    readonly batch: number;
    readonly rowsPerSec: number;
    readonly requests: number;
    readonly rowsPerSecToNode: number;
  }>;
}

export interface RuntimesResults {
  readonly connections: number;
  readonly durationSec: number;
  readonly rowShape: readonly number[];
  readonly rows: readonly RuntimeRow[];
}

export interface EdgeOnnxRow {
  readonly model: string;
  readonly batch: number;
  readonly nodeRowsPerSec: number;
  readonly webRowsPerSec: number;
  /** webRowsPerSec / nodeRowsPerSec */
  readonly ratio: number;
  readonly runs: number;
  readonly maxAbsDiff: number;
}

export interface EdgeOnnxResults {
  readonly rows: readonly EdgeOnnxRow[];
}

/** One warm-up setting of a model: medians over the rounds. */
export interface WarmUpSetting {
  readonly warmupRounds: number;
  /** From starting the CLI to its listening (warm-up happens before). */
  readonly startupMs: number;
  /** The first inference's latency, seen by the client. */
  readonly firstMs: number;
  /** The median latency of the inferences after it, on the same server. */
  readonly steadyMs: number;
  readonly firstToSteady: number;
}

export interface WarmUpResults {
  readonly warmupRounds: number;
  readonly rounds: number;
  readonly steadyRequests: number;
  readonly rows: readonly {
    readonly model: string;
    readonly cold: WarmUpSetting;
    readonly warm: WarmUpSetting;
    /** The first inference without warm-up over the first with it. */
    readonly firstRatio: number;
  }[];
}

export interface BenchResults {
  readonly meta: {
    readonly quick: boolean;
    readonly date: string;
    readonly node: string;
    readonly platform: string;
    readonly cpus: number;
    readonly loadavg: readonly number[];
    readonly seconds: number;
  };
  /** Each tier is absent when the run left it out (--tiers). */
  readonly codec?: CodecResults;
  readonly e2eLarge?: LargeResults;
  readonly e2eSmall?: SmallResults;
  /** The gRPC cells of the small and large tiers (e2e-grpc.ts). */
  readonly grpc?: GrpcResults;
  readonly realModel?: ModelResults;
  readonly runtimes?: RuntimesResults;
  readonly edgeOnnx?: EdgeOnnxResults;
  readonly warmUp?: WarmUpResults;
}

/** Requests/s and latency of a closed loop of calls. */
export interface LoopResult {
  readonly requestsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface GrpcLargeCell {
  readonly batch: number;
  readonly concurrency: number;
  readonly grpcRowsPerSec: number;
  readonly graphpipeRowsPerSec: number;
  /** grpc / graphpipe rows/s. */
  readonly ratio: number;
}

export interface GrpcResults {
  /**
   * The primary measurement: h2load (nghttp2, C) driving every front door the same way, so the
   * ratios are the servers'. `skipped` says why when h2load is not on PATH.
   */
  readonly h2load?: { readonly small?: H2loadSmall; readonly large?: readonly H2loadLargeCell[] } | H2loadSkipped;
  /** Small requests from Node closed loops: bounded by the JavaScript clients (grpc-js above all), not the server. */
  readonly small?: {
    /** ModelInfer over one HTTP/2 connection, small.connections calls in flight. */
    readonly grpc: LoopResult;
    /** GraphPipe from the same kind of Node closed loop (node:http keep-alive). */
    readonly graphpipeNode: LoopResult;
    readonly ratios: {
      readonly toGraphPipeSameGenerator: number;
      readonly toGraphPipeAutocannon?: number;
      readonly toV2JsonAutocannon?: number;
    };
  };
  /** Large requests from grpc-js against the large tier's Node generator: bounded by the clients too. */
  readonly large?: readonly GrpcLargeCell[];
}

export interface H2loadSkipped {
  readonly skipped: string;
}

/** One front door's h2load runs of a cell, summed over the measured rounds. */
export interface H2loadTotals {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSec: number;
  /** The server process's CPU time (user + system, µs) over the requests it served. */
  readonly serverCpuUsPerRequest: number;
}

/**
 * Small requests (1x4 float32) from h2load, `connections` at a time, a fixed number per round,
 * one warm-up round then `rounds` rounds alternating the servers (each in its own process).
 */
export interface H2loadSmall {
  readonly connections: number;
  readonly requestsPerRound: number;
  readonly rounds: number;
  /** ModelInfer over ONE h2c connection with `connections` calls in flight, as gRPC clients call (one channel). */
  readonly grpcMultiplexed: H2loadTotals;
  /** ModelInfer over `connections` h2c connections, one call in flight on each. */
  readonly grpcPerConnection: H2loadTotals;
  /** GraphPipe over `connections` HTTP/1.1 connections (--h1). */
  readonly graphpipe: H2loadTotals;
  /** The same values as an Open Inference Protocol JSON request (REST v2), over HTTP/1.1. */
  readonly v2Json: H2loadTotals;
  /** Requests/s ratios. */
  readonly ratios: {
    readonly multiplexedToGraphPipe: number;
    readonly multiplexedToV2Json: number;
    readonly perConnectionToGraphPipe: number;
  };
  /** How the answers were checked. */
  readonly verified: readonly string[];
}

/**
 * Large requests (batches of 224x224x3 float32 rows, raw contents) from h2load: ModelInfer with
 * `concurrency` calls in flight on one h2c connection against GraphPipe over `concurrency`
 * HTTP/1.1 connections, one warm-up round then alternating rounds.
 */
export interface H2loadLargeCell {
  readonly batch: number;
  readonly concurrency: number;
  readonly requestBytes: number;
  readonly grpc: H2loadTotals & { readonly rowsPerSec: number };
  readonly graphpipe: H2loadTotals & { readonly rowsPerSec: number };
  /** grpc / graphpipe rows/s, and server CPU per request. */
  readonly ratio: number;
  readonly cpuRatio: number;
}
