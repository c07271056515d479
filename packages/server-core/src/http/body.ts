import { GraphPipeError, messageOf } from '@graphpipe/protocol';
import type { BodyMemory, BodyPool } from './body-pool.js';
import type { ByteBudget } from './budget.js';
import { SMALL_BYTES, smallBytes } from './byte-pool.js';

/** The default largest request body: 256 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 256 * 1024 * 1024;

export interface BodyLimits {
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number;
  /** Time allowed for the whole body to arrive, in milliseconds. */
  readonly timeoutMs: number;
}

/** Where a body's bytes go, and how they are placed. */
export interface BodyPlacement {
  /** Read into a SharedArrayBuffer (where the runtime has one), for tensors bound for other threads. */
  readonly shared?: boolean;
  /**
   * The body offset to place at an 8-aligned address (0 by default: the start). Binary tensors
   * after a JSON header of known length then start aligned and are read as views.
   */
  readonly alignAt?: number;
}

/**
 * Gathers a request body into one Uint8Array, refusing it as soon as it is known to be too
 * large (413): from Content-Length before any byte is read, or while it streams. With a
 * Content-Length the memory is taken once and filled in place, 8-aligned as the decoder's
 * payload views need: a buffer reused from earlier requests (body-pool.ts), or for small bodies
 * a slice of a shared slab (byte-pool.ts). The bytes held are first taken from the shared budget
 * (503 when it is spent); `release` gives back both, once the answer is out.
 */
export class BodyCollector {
  private held = 0;
  private readonly expected: number;
  private out: Uint8Array | undefined;
  private pooled: BodyMemory | undefined;
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  constructor(
    contentLength: string | null | undefined,
    private readonly limits: BodyLimits,
    private readonly budget: ByteBudget,
    private readonly pool: BodyPool,
    private readonly placement: BodyPlacement = {},
  ) {
    const expected = contentLength == null ? -1 : Number(contentLength);
    if (expected > limits.maxBytes) throw tooLarge(limits.maxBytes);
    this.expected = Number.isSafeInteger(expected) && expected >= 0 ? expected : -1;
  }

  /** Takes room for a declared body up front; readers call it inside their busy handling. */
  begin(): void {
    if (this.expected > 0 && !this.out) {
      this.hold(this.expected);
      this.out = this.allocate(this.expected);
    }
  }

  /** The size a Content-Length declared, or -1 without one. */
  get declared(): number {
    return this.expected;
  }

  /** True when a Content-Length said there is nothing to read. */
  get empty(): boolean {
    return this.expected === 0;
  }

  add(chunk: Uint8Array): void {
    const { out, length } = this;
    if (out) {
      if (length + chunk.length > out.length) {
        throw new GraphPipeError(
          'INVALID_MESSAGE',
          `request body is longer than its Content-Length of ${out.length} bytes`,
        );
      }
      out.set(chunk, length);
    } else {
      if (length + chunk.length > this.limits.maxBytes) throw tooLarge(this.limits.maxBytes);
      this.hold(chunk.length);
      this.chunks.push(chunk);
    }
    this.length += chunk.length;
  }

  finish(): Uint8Array {
    if (this.out) {
      if (this.length !== this.out.length) {
        throw new GraphPipeError(
          'INVALID_MESSAGE',
          `request body ended after ${this.length} of ${this.out.length} bytes`,
        );
      }
      return this.out;
    }
    // Copied even when there is one chunk: an allocated buffer keeps payloads 8-aligned.
    const out = this.allocate(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /**
   * Gives the body's memory back to the pool and its bytes back to the budget: once the answer
   * is out, after which no view of the body may be used.
   */
  release(): void {
    this.budget.give(this.held);
    this.held = 0;
    if (this.pooled) this.pool.give(this.pooled);
    this.pooled = undefined;
    this.out = undefined;
  }

  private allocate(n: number): Uint8Array {
    const { shared = false, alignAt = 0 } = this.placement;
    // `pad` bytes ahead put body offset `alignAt` on an 8-byte boundary (slab slices and pooled buffers start aligned).
    const pad = (8 - (alignAt % 8)) % 8;
    const sharable = shared && typeof SharedArrayBuffer === 'function';
    if (!sharable && n + pad <= SMALL_BYTES) return smallBytes(n + pad).subarray(pad);
    this.pooled = this.pool.take(n + pad, sharable);
    return new Uint8Array(this.pooled, pad, n);
  }

  private hold(n: number): void {
    this.budget.take(n);
    this.held += n;
  }
}

export function bodyTimeout(limits: BodyLimits): GraphPipeError {
  return new GraphPipeError('REQUEST_TIMEOUT', `request body did not arrive within ${limits.timeoutMs} ms`);
}

/** The upload broke off (the connection failed or the client went away mid-body). */
export function bodyFailed(err: unknown): GraphPipeError {
  return new GraphPipeError('ABORTED', `request body failed: ${messageOf(err)}`, { cause: err });
}

/** A refusal for lack of room, after which the rest of the upload is read and dropped. */
export function isBusy(err: unknown): boolean {
  return (err as GraphPipeError | undefined)?.code === 'UNAVAILABLE';
}

/** The refusal of a body over the size limit (413), however it was found out. */
export function tooLarge(max: number): GraphPipeError {
  return new GraphPipeError(
    'PAYLOAD_TOO_LARGE',
    `request body exceeds the limit of ${max} bytes; raise maxBodyBytes to accept it`,
  );
}
