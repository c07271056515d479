/**
 * Memory for request bodies, reused from one request to the next. A fresh buffer per large body
 * is what makes a busy server slow: V8 counts each against its old generation and collects the
 * whole heap every few tens of milliseconds, and the kernel faults in fresh pages for every
 * byte. Buffers here come in power-of-two size classes; a body takes one of its class and gives
 * it back once its answer has been written, which is also when its tensors stop being valid
 * (see Backend.infer). Pages past a body's end are never touched, so a class larger than the
 * body costs address space, not memory.
 *
 * Free buffers are kept only while the bodies in flight and the free buffers together fit the
 * byte budget, and are dropped after a while unused, so a burst does not hold its memory for good.
 */
import type { ByteBudget } from './budget.js';

/** Smaller bodies are cut from shared slabs instead (byte-pool.ts). */
const MIN_CLASS_LOG2 = 13; // 8 KiB
/** A free buffer unused this long is dropped; checked this often. */
const IDLE_MS = 30_000;

export type BodyMemory = ArrayBuffer | SharedArrayBuffer;

interface FreeBuffer {
  readonly buffer: BodyMemory;
  readonly since: number;
}

/** Buffers lent out and not to be taken back (see retire). */
const retired = new WeakSet<BodyMemory>();
/** Every buffer a pool has lent out: which memory a reply may still be borrowing. */
const lent = new WeakSet<BodyMemory>();

let poisoning = readPoisonSetting();

/**
 * For tests: fill memory with 0xDB as it is given back, so a tensor used after its answer was
 * sent reads garbage and fails its test instead of passing by luck. Also on with the environment
 * variable GRAPHPIPE_POISON_RELEASED=1.
 */
export function poisonReleasedBodies(on: boolean): void {
  poisoning = on;
}

/** Whether `buffer` is body memory a pool may reuse. */
export function isPooled(buffer: ArrayBufferLike): boolean {
  return lent.has(buffer as BodyMemory);
}

/**
 * Keeps `buffer` out of its pool for good: for a runtime that cannot tell when an answer still
 * reading from it has been written. The garbage collector frees it once nothing uses it.
 */
export function retire(buffer: ArrayBufferLike): void {
  retired.add(buffer as BodyMemory);
}

export class BodyPool {
  /** Free buffers by size class (log2 of their size), most recently freed last. */
  private readonly free = new Map<number, FreeBuffer[]>();
  private readonly freeShared = new Map<number, FreeBuffer[]>();
  private freeBytes = 0;
  private sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly budget: ByteBudget) {}

  /** Bytes held in free buffers. */
  get retained(): number {
    return this.freeBytes;
  }

  /**
   * A buffer of at least `bytes`: a free one of its size class, or a new one. `shared`: a
   * SharedArrayBuffer, for tensors bound for other threads.
   */
  take(bytes: number, shared: boolean): BodyMemory {
    const cls = sizeClass(bytes);
    const stack = (shared ? this.freeShared : this.free).get(cls);
    const reused = stack?.pop();
    if (reused) {
      this.freeBytes -= reused.buffer.byteLength;
      return reused.buffer;
    }
    // Past the budget with free buffers of other sizes: let them go rather than hold both.
    if (this.freeBytes > 0 && this.freeBytes + this.budget.inUse > this.budget.max) this.clear();
    const size = 2 ** cls;
    const buffer = shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    lent.add(buffer);
    return buffer;
  }

  /** Gives `buffer` back: no view of it may be used from now on. */
  give(buffer: BodyMemory): void {
    if (retired.has(buffer)) return;
    if (poisoning) new Uint8Array(buffer).fill(0xdb);
    const size = buffer.byteLength;
    // Kept only while what is in flight and what is kept fit the budget together.
    if (this.freeBytes + size + this.budget.inUse > this.budget.max) return;
    const shared = typeof SharedArrayBuffer === 'function' && buffer instanceof SharedArrayBuffer;
    const classes = shared ? this.freeShared : this.free;
    const cls = Math.log2(size);
    const stack = classes.get(cls);
    const entry = { buffer, since: performance.now() };
    if (stack) stack.push(entry);
    else classes.set(cls, [entry]);
    this.freeBytes += size;
    this.sweepLater();
  }

  /** Drops every free buffer. */
  clear(): void {
    this.free.clear();
    this.freeShared.clear();
    this.freeBytes = 0;
    this.stopSweeping();
  }

  private sweepLater(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => this.sweep(), IDLE_MS);
    // Free buffers alone must not keep a process alive (Node; other runtimes have no unref).
    (this.sweeper as { unref?: () => void }).unref?.();
  }

  /** Drops the buffers unused for IDLE_MS: the oldest of each class, which sit at the bottom. */
  private sweep(): void {
    const cutoff = performance.now() - IDLE_MS;
    for (const classes of [this.free, this.freeShared]) {
      for (const [cls, stack] of classes) {
        let stale = 0;
        while (stale < stack.length && stack[stale]!.since < cutoff) stale++;
        for (let i = 0; i < stale; i++) this.freeBytes -= stack[i]!.buffer.byteLength;
        if (stale === stack.length) classes.delete(cls);
        else stack.splice(0, stale);
      }
    }
    if (this.freeBytes === 0) this.stopSweeping();
  }

  private stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

/** log2 of the smallest power of two ≥ bytes, and at least 8 KiB. */
function sizeClass(bytes: number): number {
  let cls = Math.max(MIN_CLASS_LOG2, Math.ceil(Math.log2(bytes)));
  // log2 rounds: just above a large power of two it can come out exact.
  if (2 ** cls < bytes) cls++;
  return cls;
}

function readPoisonSetting(): boolean {
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    return env?.GRAPHPIPE_POISON_RELEASED === '1';
  } catch {
    // Deno without --allow-env throws on reading the environment.
    return false;
  }
}
