/**
 * One order for a cluster's repository changes (administrators' loads and unloads, the watcher's
 * news of an entry): a worker hands each change to the primary, which has every worker apply it,
 * one change at a time, and answers the worker that asked once all of them have. Workers that
 * applied two racing changes in different orders would serve different models.
 */
import type { Worker } from 'node:cluster';
import { GraphPipeError, type GraphPipeErrorCode, messageOf } from '@graphpipe/protocol';
import type { ModelRepository, RepositoryChange } from '@graphpipe/server-core/node';

const CHANGE = 'graphpipe:change';
const APPLY = 'graphpipe:apply';
const APPLIED = 'graphpipe:applied';
const CHANGED = 'graphpipe:changed';

/** Why a change did not apply everywhere, as it crosses between processes. */
interface Failure {
  code: GraphPipeErrorCode;
  message: string;
}

export type ChangeMessage =
  | { type: typeof CHANGE; id: number; change: RepositoryChange }
  | { type: typeof APPLY; id: number; change: RepositoryChange }
  | { type: typeof APPLIED; id: number; failure?: Failure }
  | { type: typeof CHANGED; id: number; failure?: Failure };

const failureOf = (err: unknown): Failure => ({
  code: err instanceof GraphPipeError ? err.code : 'INTERNAL',
  message: messageOf(err),
});

/** In the primary: sequences the changes the workers ask for, and has every worker apply them. */
export class ChangeSequencer {
  private tail: Promise<void> = Promise.resolve();
  /** Workers that apply every change: those that have started and caught up. */
  private readonly members = new Set<Worker>();
  /** Per worker, the changes it has been asked to apply and not yet answered. */
  private readonly waiting = new Map<Worker, Map<number, (failure: Failure | undefined) => void>>();
  /** Models unloaded by an administrator: a worker that starts later unloads them too. */
  private readonly unloaded = new Set<string>();
  /** Resyncs queued and not yet begun, by entry: every worker's watcher reports the same change. */
  private readonly queuedResyncs = new Map<string, Promise<Failure | undefined>>();
  private nextId = 0;

  /** Handles a worker's message; false when it is not about changes. */
  receive(worker: Worker, message: ChangeMessage): boolean {
    if (message?.type === CHANGE) {
      void this.request(message.change).then((failure) => {
        if (worker.isConnected()) worker.send({ type: CHANGED, id: message.id, failure } satisfies ChangeMessage);
      });
    } else if (message?.type === APPLIED) {
      const settle = this.waiting.get(worker)?.get(message.id);
      this.waiting.get(worker)?.delete(message.id);
      settle?.(message.failure);
    } else {
      return false;
    }
    return true;
  }

  /** A worker that has started: it unloads what administrators unloaded, then applies every change. */
  join(worker: Worker): void {
    void this.enqueue(async () => {
      for (const name of this.unloaded) await this.applyOn([worker], { action: 'unload', name });
      if (worker.isConnected()) this.members.add(worker);
    });
  }

  /** A worker that has exited: changes it had not applied are answered, naming it. */
  leave(worker: Worker): void {
    this.members.delete(worker);
    const pending = this.waiting.get(worker);
    this.waiting.delete(worker);
    for (const settle of pending?.values() ?? []) {
      settle({ code: 'UNAVAILABLE', message: `worker ${worker.process.pid} exited before applying it` });
    }
  }

  private request(change: RepositoryChange): Promise<Failure | undefined> {
    if (change.action !== 'resync') return this.enqueue(() => this.applyEverywhere(change));
    const queued = this.queuedResyncs.get(change.key);
    if (queued) return queued;
    const resync = this.enqueue(() => {
      this.queuedResyncs.delete(change.key);
      return this.applyEverywhere(change);
    });
    this.queuedResyncs.set(change.key, resync);
    return resync;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.then(
      () => {},
      () => {},
    );
    return result;
  }

  private async applyEverywhere(change: RepositoryChange): Promise<Failure | undefined> {
    const workers = [...this.members];
    const failures = await this.applyOn(workers, change);
    if (change.action !== 'resync' && failures.length < workers.length) {
      if (change.action === 'unload') this.unloaded.add(change.name);
      else this.unloaded.delete(change.name);
    }
    if (failures.length === 0) return undefined;
    const [first] = failures;
    // Every worker failed alike (a model that does not load, a name not in the repository): that is the answer.
    if (failures.length === workers.length && failures.every((f) => f.message === first!.message)) {
      return first!.failure;
    }
    const which = failures.map((f) => `worker ${f.pid}: ${f.message}`).join('; ');
    return { code: 'UNAVAILABLE', message: `not every worker applied it (${which}); the others did` };
  }

  /** Has each worker apply `change`; resolves, once all have answered, with the failures. */
  private async applyOn(workers: Worker[], change: RepositoryChange) {
    const id = this.nextId++;
    const outcomes = await Promise.all(
      workers.map(
        (worker) =>
          new Promise<Failure | undefined>((settle) => {
            if (!worker.isConnected()) return settle({ code: 'UNAVAILABLE', message: 'it had exited' });
            const pending = this.waiting.get(worker) ?? new Map<number, (failure: Failure | undefined) => void>();
            this.waiting.set(worker, pending);
            pending.set(id, settle);
            worker.send({ type: APPLY, id, change } satisfies ChangeMessage);
          }),
      ),
    );
    return outcomes.flatMap((failure, i) =>
      failure ? [{ pid: workers[i]!.process.pid, message: failure.message, failure }] : [],
    );
  }
}

const asked = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
let nextAsked = 0;

/** In a worker: the repository's `sequence`. Hands a change to the primary; settles once every worker has applied it. */
export function sequenceThroughPrimary(change: RepositoryChange): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.connected) {
      reject(new GraphPipeError('UNAVAILABLE', 'the cluster is stopping; try again once it is back'));
      return;
    }
    const id = nextAsked++;
    asked.set(id, { resolve, reject });
    process.send!({ type: CHANGE, id, change } satisfies ChangeMessage);
  });
}

/** In a worker: applies the changes the primary sends, answers them, and settles its own changes' answers. */
export function applyChanges(repository: ModelRepository | undefined): void {
  process.on('message', (message: ChangeMessage) => {
    if (message?.type === APPLY && repository) {
      const answer = (failure?: Failure) =>
        process.connected && process.send!({ type: APPLIED, id: message.id, failure } satisfies ChangeMessage);
      repository.apply(message.change).then(
        () => answer(),
        (err: unknown) => answer(failureOf(err)),
      );
    } else if (message?.type === CHANGED) {
      const waiter = asked.get(message.id);
      asked.delete(message.id);
      if (!message.failure) waiter?.resolve();
      else waiter?.reject(new GraphPipeError(message.failure.code, message.failure.message));
    }
  });
  process.once('disconnect', () => {
    for (const { reject } of asked.values()) {
      reject(new GraphPipeError('UNAVAILABLE', 'the cluster stopped before the change was applied everywhere'));
    }
    asked.clear();
  });
}
