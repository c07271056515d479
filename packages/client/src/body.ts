/**
 * Request and response bodies without needless copies of large tensors.
 *
 * Sending: the encoder's chunks (small header pieces and the caller's own tensor memory) go out
 * as a stream with an explicit Content-Length where the runtime's fetch streams request bodies
 * over HTTP/1.1 with that length (Node's, Bun's); elsewhere (browsers, Deno) they are joined into
 * one buffer once.
 * Receiving: the answer is read into one buffer sized from Content-Length (or into memory the
 * caller lent, see AnswerMemory), and tensors are decoded as views of it.
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
 * The whole answer as one Uint8Array, filled in place when its length is known: in `into` when
 * it fits there, else in fresh memory. `alignAt`: the offset to place 8-aligned in memory (where
 * binary tensors start after a JSON header).
 */
export async function readAll(response: Response, alignAt = 0, into?: Uint8Array): Promise<Uint8Array> {
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
  const out = (into && placeIn(into, length, alignAt)) ?? allocate(length, alignAt);
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

/** `length` bytes of `memory` whose offset `alignAt` falls on an 8-aligned address, if they fit. */
export function placeIn(memory: Uint8Array, length: number, alignAt: number): Uint8Array | undefined {
  const pad = (8 - ((memory.byteOffset + alignAt) % 8)) % 8;
  return pad + length <= memory.length ? memory.subarray(pad, pad + length) : undefined;
}

/**
 * Memory reused from one answer to the next (RemoteModel's `reuse`): a call takes the previous
 * answer's memory and reads its own answer there when it fits, so a steady stream of large answers
 * touches the same warm pages instead of fresh ones each time. Taking it makes concurrent calls
 * never share it (a call that finds none takes fresh memory); an answer is therefore valid until
 * the next call starts.
 */
export class AnswerMemory {
  private spare: Uint8Array | undefined;

  /** The memory for the next answer, if any (no other call gets it until it is given back). */
  take(): Uint8Array | undefined {
    const spare = this.spare;
    this.spare = undefined;
    return spare;
  }

  /**
   * Keeps the larger of the answer's memory (the whole buffer it lies in; none when the call
   * failed) and what the call took, so that a small answer or a failure does not lose a large buffer.
   */
  keep(answer: Uint8Array | undefined, taken: Uint8Array | undefined): void {
    const memory = answer && new Uint8Array(answer.buffer);
    this.spare = !memory || (taken && taken.byteLength > memory.byteLength) ? taken : memory;
  }
}

/** A zeroed buffer of `length` bytes whose offset `alignAt` falls on an 8-aligned address. */
export function allocate(length: number, alignAt: number): Uint8Array {
  const pad = (8 - (alignAt % 8)) % 8;
  return new Uint8Array(new ArrayBuffer(length + pad), pad, length);
}
