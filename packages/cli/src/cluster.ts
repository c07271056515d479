/**
 * `graphpipe serve --workers N`: N worker processes (Node's cluster module) serve on one port,
 * each with its own models. The primary only looks after them: it prints the startup summary
 * once, answers for the whole cluster's metrics, relays administrators' loads and unloads to
 * every worker, restarts a worker that dies, and on SIGTERM or SIGINT drains every worker
 * before it exits.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { createLogger } from '@graphpipe/server-core';
import { answerClusterMetrics, type ModelRepository, type ServerHandle } from '@graphpipe/server-core/node';
import { applyChanges, type ChangeMessage, ChangeSequencer } from './cluster-changes.js';

const READY = 'graphpipe:ready';
const SHUTDOWN = 'graphpipe:shutdown';

/**
 * Restarts allowed per worker within a minute before the primary gives up (a crash loop):
 * GRAPHPIPE_WORKER_RESTARTS, default 3.
 */
const restartsPerMinute = () => {
  const value = Number(process.env.GRAPHPIPE_WORKER_RESTARTS);
  return Number.isInteger(value) && value >= 0 ? value : 3;
};

type Message = { type: typeof READY; summary: string } | { type: typeof SHUTDOWN; graceMs?: number };

/** `--workers`: a whole number of processes, or `auto` for one per core. */
export function workerCount(value: string): number {
  return value === 'auto' ? availableParallelism() : Number(value);
}

/** Prints the startup summary, or in a worker, hands it to the primary, which prints it once. */
export function announce(summary: string): void {
  if (cluster.isWorker) process.send!({ type: READY, summary } satisfies Message);
  else console.log(summary);
}

/**
 * In a worker: what the primary asks of it, and the repository changes it has every worker apply.
 * `beforeExit` runs once it has closed (flushing traces).
 */
export function joinCluster(
  handle: Pick<ServerHandle, 'close'>,
  repository?: ModelRepository,
  beforeExit?: () => Promise<void>,
): void {
  if (!cluster.isWorker) return;
  applyChanges(repository);
  process.on('message', (message: Message) => {
    if (message?.type === SHUTDOWN) {
      handle.close(message.graceMs === undefined ? {} : { graceMs: message.graceMs }).then(
        async () => {
          await beforeExit?.().catch(() => {});
          process.exit(0);
        },
        () => process.exit(1),
      );
    }
  });
}

/** The primary: starts `count` workers running this same command, and looks after them until they have all stopped. */
export function runPrimary(count: number): Promise<void> {
  // Each worker accepts its connections itself. In round-robin mode the primary accepts them and
  // hands each to a worker: one handed to a worker as it dies is lost, its client left waiting forever.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const logger = createLogger();
  const stopAnswering = answerClusterMetrics();
  const changes = new ChangeSequencer();
  const ready = new Set<number>();
  const restarts: number[] = [];
  let failed = false;
  let announced = false;

  const start = () =>
    // A message to a worker that has just died fails with EPIPE before its exit is seen; unheard,
    // that error would stop the primary. Its exit is handled below like any other.
    cluster.fork().on('error', (err: Error) => logger.debug({ err: err.message }, 'a message did not reach a worker'));
  const each = (fn: (worker: Worker) => void) => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker) fn(worker);
  };
  /** What every worker is told once the shutdown begins; set, the cluster is stopping. */
  let shutdown: Message | undefined;
  const stopAll = (graceMs?: number) => {
    const message: Message = { type: SHUTDOWN, graceMs };
    shutdown = message;
    // A worker already on its way out (Ctrl-C reaches every process of the group) may have closed its channel.
    each((worker) => worker.isConnected() && worker.send(message));
  };

  cluster.on('message', (worker, message: Message | ChangeMessage) => {
    if (changes.receive(worker, message as ChangeMessage)) return;
    if (message?.type !== READY) return;
    ready.add(worker.id);
    // A worker still starting when the shutdown began was not yet listening for it: tell it again.
    if (shutdown) {
      worker.send(shutdown);
      return;
    }
    changes.join(worker);
    if (!announced && ready.size === count) {
      announced = true;
      const pids = Object.values(cluster.workers ?? {}).map((w) => w!.process.pid);
      const [first = '', ...rest] = message.summary.split('\n');
      console.log([`${first} (${count} workers: pids ${pids.join(', ')})`, ...rest].join('\n'));
    } else if (announced) {
      logger.info({ workerPid: worker.process.pid }, 'worker restarted and serving');
    }
  });

  return new Promise((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const wasReady = ready.delete(worker.id);
      changes.leave(worker);
      const workerPid = worker.process.pid;
      if (shutdown) {
        // The exit code says how the shutdown went (a worker still starting has nothing to drain, and
        // a signal stops it); a crash along the way was answered with a new worker.
        if (wasReady && code !== 0) failed = true;
      } else if (!announced) {
        // The server never came up: a worker that cannot start (a model that does not load, say) would fail again.
        failed = true;
        logger.error({ workerPid, code, signal }, 'a worker failed to start; stopping');
        stopAll(0);
      } else {
        // Once the server is up, a worker that dies, even one still starting, is a crash like any other.
        const now = Date.now();
        restarts.push(now);
        while (restarts[0]! < now - 60_000) restarts.shift();
        if (restarts.length > restartsPerMinute() * count) {
          failed = true;
          logger.error({ workerPid, code, signal }, 'workers keep dying; stopping');
          stopAll();
        } else {
          const what = wasReady ? 'worker died' : 'worker died while starting';
          logger.warn({ workerPid, code, signal }, `${what}; starting another`);
          start();
        }
      }
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        stopAnswering();
        logger.flush();
        process.exitCode = failed ? 1 : 0;
        resolve();
      }
    });
    // SIGTERM: each worker waits out its grace period; Ctrl-C stops them at once.
    process.once('SIGTERM', () => {
      logger.info({ signal: 'SIGTERM' }, 'shutting down');
      stopAll();
    });
    process.once('SIGINT', () => {
      logger.info({ signal: 'SIGINT' }, 'shutting down');
      stopAll(0);
    });
    for (let i = 0; i < count; i++) start();
  });
}
