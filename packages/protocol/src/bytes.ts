/** Total length of a list of chunks (e.g. from the encoders' chunked forms). */
export function byteLengthOf(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const chunk of chunks) n += chunk.length;
  return n;
}

/** The chunks as one Uint8Array: the chunk itself when there is one, else a single copy. */
export function concatBytes(chunks: readonly Uint8Array[], length = byteLengthOf(chunks)): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * Below this many bytes a body is sent as one joined buffer: one copy costs less than writing
 * or streaming its pieces one by one. At or above it, the encoder's chunks go out uncopied.
 */
export const JOIN_BELOW_BYTES = 64 * 1024;

/** The chunks as a web ReadableStream of themselves, uncopied (for streamed bodies). */
export function chunkStream(chunks: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}
