/**
 * A fixed number of session workers, each running one request at a time. Requests wait in a FIFO
 * queue while every worker is busy. A worker that dies is replaced, and its request fails; so is
 * one whose run outlasts `runTimeoutMs`, and that run fails with DEADLINE_EXCEEDED, and one whose
 * request's deadline passes mid-run (its signal aborts with DEADLINE_EXCEEDED): it is abandoned.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { SessionIO } from '@graphpipe/onnx-common';
import { GraphPipeError, isGraphPipeError } from '@graphpipe/protocol';
import type { RunOutputs, RunRequest, WorkerReply } from './worker-protocol.js';

interface Job {
  readonly request: RunRequest;
  readonly transfer: readonly ArrayBuffer[];
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
  /** Settles when the job does, never rejects: what close() waits for. */
  readonly settled: Promise<unknown>;
  resolve(outputs: RunOutputs): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  /** Its session has loaded; until then it takes no jobs and, if it dies, is not replaced. */
  ready: boolean;
  /** Settles once its session has loaded or failed to, or the worker is gone. */
  readonly loaded: Promise<unknown>;
  job?: Job;
  /** Fails the job when its run outlasts runTimeoutMs. */
  deadline?: NodeJS.Timeout;
  /** Stops watching the running job's signal for its deadline. */
  unwatch?: () => void;
}

export interface WorkerPoolOptions {
  /** How long a worker may take over one run, in milliseconds, before it is replaced. Default: no limit. */
  readonly runTimeoutMs?: number;
}

export class WorkerPool {
  readonly #spawn: () => Worker;
  readonly #runTimeoutMs: number | undefined;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  /** Workers replaced after a timeout, still inside their run; each ends when the run returns. */
  readonly #retired = new Map<Slot, Promise<unknown>>();
  #closing?: Promise<void>;

  private constructor(spawn: () => Worker, options: WorkerPoolOptions) {
    this.#spawn = spawn;
    this.#runTimeoutMs = options.runTimeoutMs;
  }

  /**
   * Resolves once every worker has loaded its session, with the model's inputs and outputs as the
   * first worker's session describes them; rejects with the first load error.
   */
  static async start(
    size: number,
    spawn: () => Worker,
    options: WorkerPoolOptions = {},
  ): Promise<{ pool: WorkerPool; io: SessionIO }> {
    const pool = new WorkerPool(spawn, options);
    const slots = Array.from({ length: size }, () => pool.#add());
    try {
      // once() rejects on the worker's 'error' event, which is how a failed load shows.
      const [[first]] = await Promise.all(slots.map((slot) => once(slot.worker, 'message')));
      return { pool, io: (first as Extract<WorkerReply, { kind: 'ready' }>).io };
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  run(request: RunRequest, transfer: readonly ArrayBuffer[], signal: AbortSignal): Promise<RunOutputs> {
    if (this.#closing) return Promise.reject(new GraphPipeError('UNAVAILABLE', 'the ONNX model has been closed'));
    if (this.#slots.size === 0) return Promise.reject(noWorkers());
    let resolve!: (outputs: RunOutputs) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<RunOutputs>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = {
      request,
      transfer,
      signal,
      resolve,
      reject,
      settled: promise.catch(() => undefined),
      onAbort: () => {
        this.#queue.splice(this.#queue.indexOf(job), 1);
        reject(
          new GraphPipeError('ABORTED', 'the request was aborted before inference began', { cause: signal.reason }),
        );
      },
    };
    signal.addEventListener('abort', job.onAbort, { once: true });
    this.#queue.push(job);
    this.#dispatch();
    return promise;
  }

  /**
   * Stops taking requests, fails the queued ones, and ends each worker once its run is over, retired
   * ones included. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /**
   * A worker is terminated only while it waits for work: ending a thread while onnxruntime is inside
   * a call (loading a session or running one) aborts the whole process once that call returns.
   */
  async #shutdown(): Promise<void> {
    this.#failQueued(new GraphPipeError('UNAVAILABLE', 'the ONNX model was closed before the request ran'));
    await Promise.all(
      [...this.#slots].map(async (slot) => {
        await slot.loaded;
        await slot.job?.settled;
        // A run that timed out meanwhile left its worker retired: that one ends when its run returns.
        if (!this.#retired.has(slot)) await slot.worker.terminate();
      }),
    );
    await Promise.all(this.#retired.values());
  }

  #add(): Slot {
    const worker = this.#spawn();
    const loaded = new Promise((resolve) => {
      worker.once('message', resolve);
      worker.once('exit', resolve);
    });
    const slot: Slot = { worker, ready: false, loaded };
    let failure: Error | undefined;
    slot.worker.on('message', (reply: WorkerReply) => this.#onReply(slot, reply));
    slot.worker.on('error', (err: Error) => {
      failure = err;
    });
    slot.worker.on('exit', (code: number) => this.#onExit(slot, failure?.message ?? `exit code ${code}`));
    this.#slots.add(slot);
    return slot;
  }

  #onReply(slot: Slot, reply: WorkerReply): void {
    if (this.#retired.has(slot)) {
      // Its run has returned at last (its job already failed), so it can be stopped safely now.
      void slot.worker.terminate();
      return;
    }
    clearTimeout(slot.deadline);
    slot.unwatch?.();
    // An idle worker must not keep the process alive; a busy one must, or a pending run could be cut off.
    slot.worker.unref();
    if (reply.kind === 'ready') {
      slot.ready = true;
    } else {
      const job = slot.job!;
      slot.job = undefined;
      if (reply.kind === 'done') job.resolve(reply.outputs);
      else job.reject(new Error(reply.message)); // onnxruntime's message, mapped by the backend like an in-thread failure
    }
    this.#dispatch();
  }

  #onExit(slot: Slot, reason: string): void {
    clearTimeout(slot.deadline);
    slot.unwatch?.();
    this.#retired.delete(slot);
    // A retired worker was replaced when it was retired.
    if (!this.#slots.delete(slot)) return;
    slot.job?.reject(new GraphPipeError('INTERNAL', `the ONNX worker running this request stopped: ${reason}`));
    if (this.#closing) return;
    if (slot.ready) this.#add();
    else if (this.#slots.size === 0) this.#failQueued(noWorkers());
  }

  #failQueued(err: GraphPipeError): void {
    for (const job of this.#queue.splice(0)) {
      job.signal.removeEventListener('abort', job.onAbort);
      job.reject(err);
    }
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot.ready || slot.job) continue;
      const job = this.#queue.shift()!;
      job.signal.removeEventListener('abort', job.onAbort);
      slot.job = job;
      slot.worker.ref();
      slot.worker.postMessage(job.request, [...job.transfer]);
      if (this.#runTimeoutMs !== undefined) slot.deadline = setTimeout(() => this.#timeOut(slot), this.#runTimeoutMs);
      this.#watchDeadline(slot, job);
    }
  }

  /**
   * A run whose request's deadline passes is abandoned as one that outlasts runTimeoutMs is: the
   * caller has its answer already, and the next request should not wait for this run to end.
   * Other aborts (a caller gone) let the run finish: replacing a worker means loading the model again.
   */
  #watchDeadline(slot: Slot, job: Job): void {
    const { signal } = job;
    const passed = () => isGraphPipeError(signal.reason) && signal.reason.code === 'DEADLINE_EXCEEDED';
    const onAbort = () => {
      if (slot.job === job && passed()) this.#abandon(slot, signal.reason as GraphPipeError);
    };
    // Not aborted yet: a queued job's own listener takes it out of the queue when it is.
    signal.addEventListener('abort', onAbort, { once: true });
    slot.unwatch = () => {
      signal.removeEventListener('abort', onAbort);
      slot.unwatch = undefined;
    };
  }

  /**
   * Fails the run with DEADLINE_EXCEEDED and puts a new worker in the slot's place. The old one cannot
   * be stopped yet: onnxruntime-node cannot interrupt a run, and ending its thread now would abort the
   * process when the run returns (see #shutdown). So it is retired: it takes no more work, stays
   * referenced (a process exiting under it would abort the same way), and is terminated as soon as
   * its run returns.
   * DEADLINE_EXCEEDED (504), not UNAVAILABLE (503): the run was given its time and used it up; a 503
   * invites an immediate retry, which would most likely run just as long.
   */
  #timeOut(slot: Slot): void {
    this.#abandon(
      slot,
      new GraphPipeError(
        'DEADLINE_EXCEEDED',
        `the ONNX run took longer than runTimeoutMs (${this.#runTimeoutMs} ms); its worker was replaced`,
      ),
    );
  }

  /** Fails the slot's job with `error`, retires its worker (see #timeOut) and puts a new one in its place. */
  #abandon(slot: Slot, error: GraphPipeError): void {
    const job = slot.job!;
    slot.job = undefined;
    clearTimeout(slot.deadline);
    slot.unwatch?.();
    this.#slots.delete(slot);
    this.#retired.set(slot, new Promise((resolve) => slot.worker.once('exit', resolve)));
    job.reject(error);
    if (this.#closing) return;
    this.#add();
    this.#dispatch();
  }
}

function noWorkers(): GraphPipeError {
  return new GraphPipeError('INTERNAL', 'no ONNX worker could load the model');
}
