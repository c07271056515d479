import type { BodyCollector, BodyLimits } from './body.js';

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
  /** Fills `collector` with the body and returns it; rejects with 408 after `limits.timeoutMs`. */
  readBody(collector: BodyCollector, limits: BodyLimits): Promise<Uint8Array>;
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
  /** Lower-case names. Adapters add Content-Length and their own headers (CORS, Connection). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ReplyBody;
}

const TEXT = { 'content-type': 'text/plain; charset=utf-8' } as const;
const JSON_TYPE = { 'content-type': 'application/json' } as const;
const OCTETS = { 'content-type': 'application/octet-stream' } as const;

export function textReply(text: string, status = 200): Reply {
  return { status, headers: TEXT, body: text };
}

export function jsonReply(text: string, status = 200): Reply {
  return { status, headers: JSON_TYPE, body: text };
}

/** Binary bytes: one buffer or the encoder's chunks. */
export function binaryReply(body: Uint8Array | readonly Uint8Array[]): Reply {
  return { status: 200, headers: OCTETS, body };
}
