import { GraphPipeError } from '@graphpipe/protocol';
import type { ByteBudget } from './budget.js';

export interface BodyLimits {
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number;
  /** Time allowed for the whole body to arrive, in milliseconds. */
  readonly timeoutMs: number;
}

/**
 * Reads a request body into one Uint8Array, refusing it (413) as soon as it is known to be
 * too large: from Content-Length before reading, or while streaming when there is none.
 * With a Content-Length the buffer is allocated once at its exact size and filled in place;
 * a fresh ArrayBuffer also keeps the decoder's 8-byte payload alignment.
 *
 * The bytes held are taken from `budget` first (all at once with a Content-Length, else per
 * chunk); the caller gives back `held.bytes` when the request is done.
 */
export async function readBody(request: Request, limits: BodyLimits, budget: ByteBudget, held: { bytes: number }): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  const expected = declared === null ? -1 : Number(declared);
  if (expected > limits.maxBytes) throw tooLarge(limits.maxBytes);
  if (!request.body || expected === 0) return new Uint8Array(0);
  const hold = (n: number) => {
    budget.take(n);
    held.bytes += n;
  };

  const reader = request.body.getReader();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void reader.cancel().catch(() => {});
  }, limits.timeoutMs);
  try {
    const sized = Number.isSafeInteger(expected) && expected > 0;
    if (sized) hold(expected);
    let out = sized ? new Uint8Array(expected) : undefined;
    const chunks: Uint8Array[] = [];
    let length = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (timedOut) throw new GraphPipeError('REQUEST_TIMEOUT', `request body did not arrive within ${limits.timeoutMs} ms`);
      if (done) break;
      if (length + value.length > (sized ? expected : limits.maxBytes)) {
        if (sized) throw new GraphPipeError('INVALID_MESSAGE', `request body is longer than its Content-Length of ${expected} bytes`);
        throw tooLarge(limits.maxBytes);
      }
      if (out) out.set(value, length);
      else {
        hold(value.length);
        chunks.push(value);
      }
      length += value.length;
    }
    if (out) {
      if (length !== expected) throw new GraphPipeError('INVALID_MESSAGE', `request body ended after ${length} of ${expected} bytes`);
      return out;
    }
    out = new Uint8Array(length);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } catch (err) {
    // Turned away for lack of room: read the rest and drop it, holding nothing, so the
    // client gets its 503 instead of a connection reset in the middle of its upload.
    if ((err as GraphPipeError).code === 'UNAVAILABLE' && !timedOut) await discard(reader, () => timedOut);
    void reader.cancel().catch(() => {});
    if (timedOut) throw new GraphPipeError('REQUEST_TIMEOUT', `request body did not arrive within ${limits.timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, stop: () => boolean): Promise<void> {
  try {
    while (!stop() && !(await reader.read()).done);
  } catch {
    // The client went away; nothing left to drain.
  }
}

function tooLarge(max: number): GraphPipeError {
  return new GraphPipeError('PAYLOAD_TOO_LARGE', `request body exceeds the limit of ${max} bytes; raise maxBodyBytes to accept it`);
}
