import { GrpcStatus } from '@graphpipe/protocol/grpc';
import type { Coding } from '../http/encoding.js';
import { type GrpcFailure, PREFIX_BYTES } from './wire.js';

/** One message read off a stream: its bytes (a copy of its own) and how they are compressed. */
export interface ReadMessage {
  readonly bytes: Uint8Array;
  readonly coding: Coding | undefined;
}

/** Gathers a message's prefix from chunks however they cut it. */
export class PrefixReader {
  readonly bytes = new Uint8Array(PREFIX_BYTES);
  private have = 0;

  /** Whether some of it has come. */
  get started(): boolean {
    return this.have > 0;
  }

  get complete(): boolean {
    return this.have === PREFIX_BYTES;
  }

  /** Takes what it still needs of `chunk` from `at`; returns how many bytes it took. */
  take(chunk: Uint8Array, at: number): number {
    const n = Math.min(PREFIX_BYTES - this.have, chunk.length - at);
    this.bytes.set(chunk.subarray(at, at + n), this.have);
    this.have += n;
    return n;
  }

  /** Starts over, for the next message's prefix. */
  reset(): void {
    this.have = 0;
  }
}

/**
 * Cuts a stream's bytes into its messages (each a prefix and its bytes), however they arrive:
 * several to a chunk, or one across many. A message larger than `maxBytes` is refused from its
 * prefix, before its bytes are kept.
 */
export class MessageReader {
  private readonly prefix = new PrefixReader();
  private message: Uint8Array | undefined;
  private have = 0;
  private coding: Coding | undefined;

  constructor(
    private readonly maxBytes: number,
    /** The call's grpc-encoding, for messages flagged compressed. */
    private readonly encoding: string | undefined,
  ) {}

  /** Whether a message has begun and not ended: a stream that ends now was cut short. */
  get partial(): boolean {
    return this.prefix.started || this.message !== undefined;
  }

  /** The messages `chunk` completes; throws a GrpcFailure for a message that cannot be read. */
  push(chunk: Uint8Array): ReadMessage[] {
    const out: ReadMessage[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (!this.message) {
        at += this.prefix.take(chunk, at);
        if (!this.prefix.complete) break;
        const { length, coding } = readPrefix(this.prefix.bytes, this.maxBytes, this.encoding);
        this.prefix.reset();
        this.coding = coding;
        this.message = new Uint8Array(length);
        this.have = 0;
      }
      const take = Math.min(this.message.length - this.have, chunk.length - at);
      this.message.set(chunk.subarray(at, at + take), this.have);
      this.have += take;
      at += take;
      if (this.have === this.message.length) {
        out.push({ bytes: this.message, coding: this.coding });
        this.message = undefined;
      }
    }
    return out;
  }
}

/**
 * A message's length and coding from its prefix; throws a GrpcFailure for a message that cannot
 * be taken: too large, compressed without a grpc-encoding or with one we do not inflate, or with
 * an unknown flag.
 */
export function readPrefix(
  prefix: Uint8Array,
  maxBytes: number,
  encoding: string | undefined,
): { length: number; coding: Coding | undefined } {
  const flag = prefix[0]!;
  const length = new DataView(prefix.buffer, prefix.byteOffset, PREFIX_BYTES).getUint32(1);
  if (flag > 1) throw failure(GrpcStatus.INTERNAL, `a message's compressed flag is ${flag}; it must be 0 or 1`);
  if (length > maxBytes) {
    throw failure(
      GrpcStatus.RESOURCE_EXHAUSTED,
      `received a message of ${length} bytes, over the limit of ${maxBytes}; raise maxBodyBytes to accept it`,
    );
  }
  if (flag === 0) return { length, coding: undefined };
  const coding = messageCoding(encoding);
  if (coding === undefined) {
    throw failure(
      encoding === undefined || encoding === 'identity' ? GrpcStatus.INTERNAL : GrpcStatus.UNIMPLEMENTED,
      `a compressed message needs a grpc-encoding of gzip or deflate, got ${JSON.stringify(encoding ?? '')}`,
    );
  }
  return { length, coding };
}

/** The coding a grpc-encoding names, when we inflate it. */
function messageCoding(encoding: string | undefined): Coding | undefined {
  return encoding === 'gzip' || encoding === 'deflate' ? encoding : undefined;
}

function failure(code: number, details: string): GrpcFailure {
  return { code, details, metadata: {} };
}

/** Whether a thrown value is a GrpcFailure (from readPrefix), not a bug. */
export function isFailure(err: unknown): err is GrpcFailure {
  return typeof (err as GrpcFailure | undefined)?.code === 'number' && typeof (err as GrpcFailure).details === 'string';
}
