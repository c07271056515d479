import { byteLengthOf } from '@graphpipe/protocol';
import type { BodyCollector, BodyLimits } from './body.js';
import type { Coding } from './encoding.js';

/**
 * One request as a runtime adapter hands it to the core: what was asked, how to read the body,
 * and how to send the answer. Adapters only move bytes; everything else (limits, lifecycle,
 * errors, logging, metrics) happens once, in core.ts.
 */
export interface Exchange {
  readonly method: string;
  /** The path as sent, without the query string. */
  readonly path: string;
  /** A request header by lower-case name; repeated headers joined with ', '. */
  header(name: string): string | undefined;
  /**
   * Fills `collector` with the body and returns it; rejects with 408 after `limits.timeoutMs`.
   * With a `coding` the body is inflated as it arrives and the collector counts inflated bytes,
   * so its limits stop a decompression bomb early (400 when the bytes do not inflate).
   */
  readBody(collector: BodyCollector, limits: BodyLimits, coding?: Coding): Promise<Uint8Array>;
  /** Aborted when the caller goes away or the server gives up on the request. Made on first use. */
  readonly signal: AbortSignal;
  /** Aborts `signal` (the server gave up on the request). */
  abort(reason: unknown): void;
  /**
   * Sends the reply; `close` asks to close the connection after it. Calls `done` once the reply
   * has been handed to the network in full, or the caller left.
   */
  send(reply: Reply, close: boolean, done: () => void): void;
}

/**
 * An exchange's `signal` and `abort`, the controller made on first use: most requests are
 * answered before anything needs one. `watchClient` ties it to the client going away.
 */
export abstract class LazyAbort {
  private controller: AbortController | undefined;

  get signal(): AbortSignal {
    return this.abortController().signal;
  }

  abort(reason: unknown): void {
    this.abortController().abort(reason);
  }

  /** Called once, as the controller is made: abort it when the client goes away. */
  protected abstract watchClient(controller: AbortController): void;

  private abortController(): AbortController {
    if (!this.controller) {
      this.controller = new AbortController();
      this.watchClient(this.controller);
    }
    return this.controller;
  }
}

/** A reply body: text, one buffer, or the encoder's chunks (written in order, uncopied). */
export type ReplyBody = string | Uint8Array | readonly Uint8Array[];

export interface Reply {
  readonly status: number;
  /**
   * Lower-case names. Adapters add Content-Length and their own headers (CORS, Connection). A
   * frozen object is one shared by many replies: adapters may keep what they make of it.
   */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ReplyBody;
  /** Compress the body so on the way out (the headers already say so); see compressed(). */
  readonly coding?: Coding;
}

// Frozen: shared by every reply of their kind, so adapters may prepare them once (see web.ts).
const TEXT = Object.freeze({ 'content-type': 'text/plain; charset=utf-8' } as const);
export const JSON_TYPE = Object.freeze({ 'content-type': 'application/json' } as const);
const OCTETS = Object.freeze({ 'content-type': 'application/octet-stream' } as const);

export function textReply(text: string, status = 200): Reply {
  return { status, headers: TEXT, body: text };
}

export function jsonReply(text: string, status = 200): Reply {
  return { status, headers: JSON_TYPE, body: text };
}

/**
 * The reply compressed as the caller asked (Accept-Encoding), or as it is: empty bodies, and
 * bodies already encoded, go as they are. Binary tensors are compressed only for a caller that
 * compressed its own request (`binaryToo`): HTTP stacks such as Go's and Python's requests ask for
 * gzip on their own, and compressing megabytes of tensors for them costs far more than it saves.
 * The adapter compresses the bytes as it sends them.
 */
export function compressed(reply: Reply, coding: Coding | undefined, binaryToo: boolean): Reply {
  if (!coding || reply.status === 204 || reply.status === 304 || reply.headers['content-encoding']) return reply;
  if (!binaryToo && reply.headers['content-type'] === OCTETS['content-type']) return reply;
  const { body } = reply;
  const empty = typeof body === 'string' || body instanceof Uint8Array ? body.length === 0 : byteLengthOf(body) === 0;
  if (empty) return reply;
  const { vary } = reply.headers;
  const headers = {
    ...reply.headers,
    'content-encoding': coding,
    vary: vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding',
  };
  return { status: reply.status, headers, body, coding };
}

/** Binary bytes: one buffer or the encoder's chunks. */
export function binaryReply(body: Uint8Array | readonly Uint8Array[]): Reply {
  return { status: 200, headers: OCTETS, body };
}
