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

const READY = 'graphpipe:ready';
const ADMINISTERED = 'graphpipe:administered';
const SHUTDOWN = 'graphpipe:shutdown';

/** Restarts allowed per worker slot within a minute before the primary gives up. */
const RESTARTS_PER_MINUTE = 3;

type Message =
  | { type: typeof READY; summary: string }
  | { type: typeof ADMINISTERED; action: 'load' | 'unload'; name: string }
  | { type: typeof SHUTDOWN; graceMs?: number };

/** `--workers`: a whole number of processes, or `auto` for one per core. */
export function workerCount(value: string): number {
  return value === 'auto' ? availableParallelism() : Number(value);
}

/** Prints the startup summary, or in a worker, hands it to the primary, which prints it once. */
export function announce(summary: string): void {
  if (cluster.isWorker) process.send!({ type: READY, summary } satisfies Message);
  else console.log(summary);
}

/** In a worker: what the primary asks of it, and administrators' loads and unloads to share. */
export function joinCluster(handle: ServerHandle, repository?: ModelRepository): void {
  if (!cluster.isWorker) return;
  repository?.on('administered', ({ action, name }) =>
    process.send!({ type: ADMINISTERED, action, name } satisfies Message),
  );
  process.on('message', (message: Message) => {
    if (message?.type === ADMINISTERED && repository) {
      // The worker that was asked has reported any failure; here it only has to match it.
      void (message.action === 'load' ? repository.load(message.name) : repository.unload(message.name)).catch(
        () => {},
      );
    } else if (message?.type === SHUTDOWN) {
      handle.close(message.graceMs === undefined ? {} : { graceMs: message.graceMs }).then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
}

/** The primary: starts `count` workers running this same command, and looks after them until they have all stopped. */
export function runPrimary(count: number): Promise<void> {
  const logger = createLogger();
  const stopAnswering = answerClusterMetrics();
  const ready = new Set<number>();
  const restarts: number[] = [];
  let stopping = false;
  let failed = false;
  let announced = false;

  const start = () => cluster.fork();
  const each = (fn: (worker: Worker) => void) => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker) fn(worker);
  };
  const stopAll = (graceMs?: number) => {
    stopping = true;
    // A worker already on its way out (Ctrl-C reaches every process of the group) may have closed its channel.
    each((worker) => worker.isConnected() && worker.send({ type: SHUTDOWN, graceMs } satisfies Message));
  };

  cluster.on('message', (worker, message: Message) => {
    if (message?.type === READY) {
      ready.add(worker.id);
      if (!announced && ready.size === count) {
        announced = true;
        const pids = Object.values(cluster.workers ?? {}).map((w) => w!.process.pid);
        const [first = '', ...rest] = message.summary.split('\n');
        console.log([`${first} (${count} workers: pids ${pids.join(', ')})`, ...rest].join('\n'));
      } else if (announced) {
        logger.info({ pid: worker.process.pid }, 'worker restarted and serving');
      }
    } else if (message?.type === ADMINISTERED) {
      each((other) => other !== worker && other.isConnected() && other.send(message));
    }
  });

  return new Promise((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const wasReady = ready.delete(worker.id);
      // The exit code says how the shutdown went, or that the server never came up; a crash
      // along the way was answered with a new worker.
      if (stopping ? code !== 0 : !wasReady) failed = true;
      if (!stopping) {
        const now = Date.now();
        restarts.push(now);
        while (restarts[0]! < now - 60_000) restarts.shift();
        if (!wasReady || restarts.length > RESTARTS_PER_MINUTE * count) {
          // A worker that never came up (a model that does not load, say) would fail again.
          logger.error(
            { pid: worker.process.pid, code, signal },
            wasReady ? 'workers keep dying; stopping' : 'a worker failed to start; stopping',
          );
          stopAll(0);
        } else {
          logger.warn({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
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
