/**
 * Request and response bodies without needless copies of large tensors.
 *
 * Sending: the encoder's chunks (small header pieces and the caller's own tensor memory) go out
 * as a stream with an explicit Content-Length where the runtime's fetch streams request bodies
 * over HTTP/1.1 with that length (Node's, Bun's); elsewhere (browsers, Deno) they are joined into
 * one buffer once.
 * Receiving: the answer is read into one buffer sized from Content-Length.
 */

import { byteLengthOf, chunkStream, concatBytes, JOIN_BELOW_BYTES } from '@graphpipe/protocol';

/**
 * Node's fetch (undici) and Bun's stream request bodies with the Content-Length given; browsers
 * need HTTP/2 for that, and Deno's fetch drops the length and sends a stream chunked, so the server
 * could not size its buffer up front: those join. (Bun and Deno both call themselves 'node' here.)
 */
export const canStreamUploads: boolean = (() => {
  const proc = (globalThis as { process?: { release?: { name?: string } } }).process;
  return proc?.release?.name === 'node' && !('Deno' in globalThis);
})();

export interface OutgoingBody {
  readonly body: BodyInit;
  readonly headers: Record<string, string>;
  /** Extra fetch options a streamed body needs. */
  readonly duplex?: 'half';
}

/** A fresh body for one attempt (a stream can be sent only once). */
export function outgoingBody(chunks: readonly Uint8Array[], streamUploads: boolean): OutgoingBody {
  const length = byteLengthOf(chunks);
  if (!streamUploads || chunks.length === 1 || length < JOIN_BELOW_BYTES) {
    return { body: concatBytes(chunks, length) as Uint8Array<ArrayBuffer>, headers: {} };
  }
  return { body: chunkStream(chunks), headers: { 'content-length': String(length) }, duplex: 'half' };
}

/**
 * The whole answer as one Uint8Array, filled in place when its length is known. `alignAt`: the
 * offset to place 8-aligned in memory (where binary tensors start after a JSON header).
 */
export async function readAll(response: Response, alignAt = 0): Promise<Uint8Array> {
  const length = Number(response.headers.get('content-length') ?? NaN);
  // With a content-encoding the declared length is of the encoded bytes, not of what we read.
  if (
    !response.body ||
    !Number.isSafeInteger(length) ||
    length < JOIN_BELOW_BYTES ||
    response.headers.has('content-encoding')
  ) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (alignAt % 8 === 0) return bytes;
    const copy = allocate(bytes.length, alignAt);
    copy.set(bytes);
    return copy;
  }
  const out = allocate(length, alignAt);
  let at = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > length) throw new Error(`the answer is longer than its Content-Length of ${length} bytes`);
    out.set(value, at);
    at += value.length;
  }
  if (at !== length) throw new Error(`the answer ended after ${at} of ${length} bytes`);
  return out;
}

/** A zeroed buffer of `length` bytes whose offset `alignAt` falls on an 8-aligned address. */
function allocate(length: number, alignAt: number): Uint8Array {
  const pad = (8 - (alignAt % 8)) % 8;
  return new Uint8Array(new ArrayBuffer(length + pad), pad, length);
}
