/**
 * A fixed number of session workers, each running one request at a time. Requests wait in a FIFO
 * queue while every worker is busy. A worker that dies is replaced, and its request fails.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { GraphPipeError } from '@graphpipe/protocol';
import type { SessionIO } from './metadata.js';
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
  job?: Job;
}

export class WorkerPool {
  readonly #spawn: () => Worker;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  #closing?: Promise<void>;

  private constructor(spawn: () => Worker) {
    this.#spawn = spawn;
  }

  /**
   * Resolves once every worker has loaded its session, with the model's inputs and outputs as the
   * first worker's session describes them; rejects with the first load error.
   */
  static async start(size: number, spawn: () => Worker): Promise<{ pool: WorkerPool; io: SessionIO }> {
    const pool = new WorkerPool(spawn);
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

  /** Stops taking requests, fails the queued ones, and ends each worker once its run is over. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#failQueued(new GraphPipeError('UNAVAILABLE', 'the ONNX model was closed before the request ran'));
    await Promise.all(
      [...this.#slots].map(async ({ worker, job }) => {
        await job?.settled;
        await worker.terminate();
      }),
    );
  }

  #add(): Slot {
    const slot: Slot = { worker: this.#spawn(), ready: false };
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
    this.#slots.delete(slot);
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
    }
  }
}

function noWorkers(): GraphPipeError {
  return new GraphPipeError('INTERNAL', 'no ONNX worker could load the model');
}
