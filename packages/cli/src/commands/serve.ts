import { readFile, stat } from 'node:fs/promises';
import { type Backend, createLogger } from '@graphpipe/server-core';
import {
  ModelRepository,
  recogniseModel,
  type ServeOptions,
  type ServerHandle,
  serve as serveOnNode,
} from '@graphpipe/server-core/node';
import cluster from 'node:cluster';
import { announce, joinCluster, runPrimary, workerCount } from '../cluster.js';
import { sequenceThroughPrimary } from '../cluster-changes.js';
import { loadBackend } from '../load-backend.js';
import { otlpTarget, startTracing } from '../tracing.js';

export interface ServeCommandOptions {
  host: string;
  port: string;
  grpcPort?: string;
  name?: string;
  default?: string;
  watch: boolean;
  concurrency?: string;
  maxQueue?: string;
  maxBodyMb?: string;
  cors: boolean;
  ui: boolean;
  device: 'cpu' | 'cuda';
  maxBatchSize?: string;
  maxBatchDelay: string;
  cacheMb?: string;
  warmup?: string;
  requestTimeout?: string;
  shutdownGrace: string;
  drainTimeout: string;
  quiet?: boolean;
  workers: string;
  authToken?: string;
  adminToken?: string;
  tlsCert?: string;
  tlsKey?: string;
  otlpEndpoint?: string;
}

/** On Bun, `Bun.serve` answers: about twice the small requests Node's server does. */
const onBun = 'Bun' in globalThis;
/** Said after the URL in the startup summary: which server answers, when it is not Node's. */
const servedBy = onBun ? ` (Bun.serve, Bun ${process.versions.bun})` : '';

export async function serveCommand(model: string, opts: ServeCommandOptions): Promise<void> {
  const workers = workerCount(opts.workers);
  if (workers > 1 && onBun) {
    throw new Error(
      '--workers runs a cluster of Node processes; under Bun graphpipe serves with one process: drop --workers, or run it with node',
    );
  }
  if (workers > 1 && cluster.isPrimary) return runPrimary(workers);
  // Before the server exists: it looks for an SDK on its first request.
  const tracing = otlpTarget(opts.otlpEndpoint);
  const stopTracing = tracing ? await startTracing(tracing) : undefined;
  const options: CliServeOptions = {
    host: opts.host,
    port: Number(opts.port),
    concurrency: opts.concurrency ? Number(opts.concurrency) : undefined,
    maxQueue: opts.maxQueue ? Number(opts.maxQueue) : undefined,
    maxBodyBytes: opts.maxBodyMb ? Number(opts.maxBodyMb) * 1024 * 1024 : undefined,
    cors: opts.cors,
    ui: opts.ui,
    batching: opts.maxBatchSize
      ? { maxBatchSize: Number(opts.maxBatchSize), maxDelayMs: Number(opts.maxBatchDelay) }
      : undefined,
    cache: opts.cacheMb ? { maxBytes: Number(opts.cacheMb) * 1024 * 1024 } : undefined,
    warmup: opts.warmup ? Number(opts.warmup) : undefined,
    requestTimeoutMs: opts.requestTimeout ? Number(opts.requestTimeout) : undefined,
    // Quiet drops the request lines (info), not warnings and errors (a model that failed to load).
    logger: opts.quiet ? createLogger('warn') : undefined,
    shutdownGraceMs: Number(opts.shutdownGrace),
    drainTimeoutMs: Number(opts.drainTimeout),
    handleSignals: true,
    // The spans of the last requests are still queued at exit.
    beforeExit: stopTracing,
    defaultModel: opts.default,
    authToken: opts.authToken || undefined,
    adminToken: opts.adminToken || undefined,
    tls: await tlsFiles(opts),
    grpc: grpcOption(opts),
    // In a cluster, every worker's /metrics answers for all of them.
    metrics: cluster.isWorker ? 'cluster' : true,
  };
  if (await isRepository(model, opts.name !== undefined)) return serveRepository(model, opts, options);
  const backend = await loadBackend(model, { name: opts.name, device: opts.device });
  const handle = await serve(backend, options);
  joinCluster(handle, undefined, stopTracing);
  announce(
    [
      `serving ${backend.metadata.name} on ${handle.url}${servedBy}`,
      ...grpcLine(handle),
      ...describeModel(backend),
    ].join('\n'),
  );
}

/**
 * Triton's gRPC port, 8001, unless told otherwise; 0 turns it off. With `--port 0` (a free port,
 * as tests ask) the gRPC port is a free one too, so that servers side by side do not collide.
 * Node's http2 serves it: under Bun there is none unless asked for, and asking is refused.
 */
function grpcOption(opts: ServeCommandOptions): ServeOptions['grpc'] {
  if (opts.grpcPort === undefined) return onBun ? undefined : { port: Number(opts.port) === 0 ? 0 : 8001 };
  const port = Number(opts.grpcPort);
  if (port !== 0 && onBun) {
    throw new Error('--grpc-port: gRPC is served by Node only; under Bun drop --grpc-port, or run it with node');
  }
  return port === 0 ? undefined : { port };
}

function grpcLine(handle: Pick<ServerHandle, 'grpc'>): string[] {
  return handle.grpc ? [`  grpc:    ${handle.grpc.url}`] : [];
}

/**
 * A directory is a repository of models unless it is a model itself (TF.js, SavedModel), or it
 * holds one model file and `--name` names it: how KServe hands a model over, in /mnt/models.
 * Without `--name`, a directory of one model file stays a repository, so it picks up more.
 */
async function isRepository(path: string, named: boolean): Promise<boolean> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isDirectory()) return false;
  const found = await recogniseModel(path).catch(() => undefined);
  return found === undefined || (found.location !== path && !named);
}

async function serveRepository(dir: string, opts: ServeCommandOptions, options: CliServeOptions): Promise<void> {
  if (opts.name !== undefined) {
    throw new Error('--name names a single model; in a repository, name a model in its config (name: …)');
  }
  const repository = new ModelRepository(dir, {
    importer: (name) => import(name),
    watch: opts.watch,
    backendOptions: { device: opts.device },
    // A cluster's workers apply loads, unloads and the watcher's changes in one order, the primary's.
    sequence: cluster.isWorker ? sequenceThroughPrimary : undefined,
  });
  const handle = await serve([], { ...options, repository });
  joinCluster(handle, repository, options.beforeExit);
  const index = await repository.index();
  const ready = new Set(index.flatMap((m) => (m.state === 'READY' ? [m.name] : [])));
  const others = new Set(index.flatMap((m) => (ready.has(m.name) ? [] : [m.name])));
  const failed = others.size ? ` (${others.size} not ready)` : '';
  const lines = index.map(
    ({ name, version, state, reason }) =>
      `  ${name}${version === undefined ? '' : ` ${version}`}: ${state}${reason ? ` (${reason})` : ''}`,
  );
  // One write, so no log line lands in the middle of the list.
  announce(
    [
      `serving ${ready.size} model(s) from ${repository.dir} on ${handle.url}${failed}${servedBy}`,
      ...grpcLine(handle),
      ...lines,
    ].join('\n'),
  );
}

/** What serve takes on either runtime: Node's options, with TLS as both servers read it (PEM bytes). */
type CliServeOptions = Omit<ServeOptions, 'tls'> & { tls?: { cert: Buffer; key: Buffer } };

/** Node's HTTP server, or under Bun `Bun.serve` with the same options (a cluster's metrics and gRPC are Node's only). */
async function serve(
  backends: Backend | Backend[],
  options: CliServeOptions,
): Promise<Pick<ServerHandle, 'url' | 'close' | 'grpc'>> {
  if (!onBun) return serveOnNode(backends, options);
  const { serve: serveOnBun } = await import('@graphpipe/server-core/bun');
  return serveOnBun(backends, { ...options, metrics: options.metrics !== false });
}

function describeModel(backend: Backend): string[] {
  const { inputs, outputs, description } = backend.metadata;
  const list = (ios: typeof inputs) =>
    ios.map((io) => `${io.name} ${io.dtype ?? 'any'}[${io.shape?.join(', ') ?? '…'}]`).join(', ');
  return [
    // For TF.js models this says which engine runs them (native, wasm or cpu).
    ...(description ? [`  model:   ${description}`] : []),
    `  inputs:  ${list(inputs)}`,
    `  outputs: ${list(outputs)}`,
  ];
}

async function tlsFiles(opts: ServeCommandOptions): Promise<CliServeOptions['tls']> {
  if (opts.tlsCert === undefined && opts.tlsKey === undefined) return undefined;
  if (opts.tlsCert === undefined || opts.tlsKey === undefined) {
    throw new Error('HTTPS needs both --tls-cert and --tls-key');
  }
  const read = (file: string, what: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read the ${what} ${file}: ${err.code ?? err.message}`);
    });
  return { cert: await read(opts.tlsCert, 'certificate'), key: await read(opts.tlsKey, 'key') };
}
