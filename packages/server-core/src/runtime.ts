import { concatBytes } from '@graphpipe/protocol';
import type { Context } from 'hono';
import { type BodyCollector, type BodyLimits, bodyTimeout, isBusy } from './body.js';

/**
 * How the app reads bodies and writes binary answers. The default works on any runtime with
 * web-standard Request/Response; a runtime adapter may pass faster I/O of its own (the Node
 * adapter reads and writes the socket streams directly), as hono's adapters do.
 */
export interface RuntimeIO {
  /** Fills `collector` with the request body; rejects with 408 after `limits.timeoutMs`. */
  readBody(c: Context, collector: BodyCollector, limits: BodyLimits): Promise<Uint8Array>;
  /** Aborted when the caller goes away. */
  signal(c: Context): AbortSignal;
  /** Answers 200 with a body made of `chunks` (`length` bytes in all), without joining them. */
  send(c: Context, chunks: readonly Uint8Array[], length: number, headers: Record<string, string>): Response;
}

// Below this size one joined buffer costs less than streaming its pieces.
const STREAM_FROM_BYTES = 64 * 1024;

export const webIO: RuntimeIO = {
  async readBody(c, collector, limits) {
    const body = c.req.raw.body;
    if (!body || collector.empty) return collector.finish();
    const reader = body.getReader();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void reader.cancel().catch(() => {});
    }, limits.timeoutMs);
    try {
      collector.begin();
      for (;;) {
        const { done, value } = await reader.read();
        if (timedOut) throw bodyTimeout(limits);
        if (done) return collector.finish();
        collector.add(value);
      }
    } catch (err) {
      // Turned away for lack of room: read the rest and drop it, holding nothing, so the
      // client gets its 503 instead of a connection reset in the middle of its upload.
      if (isBusy(err)) await discard(reader, () => timedOut);
      void reader.cancel().catch(() => {});
      throw timedOut ? bodyTimeout(limits) : err;
    } finally {
      clearTimeout(timer);
    }
  },

  signal: (c) => c.req.raw.signal,

  send(_c, chunks, length, headers) {
    if (chunks.length === 1 || length < STREAM_FROM_BYTES) return new Response(concatBytes(chunks, length) as Uint8Array<ArrayBuffer>, { headers });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    return new Response(stream, { headers: { ...headers, 'content-length': String(length) } });
  },
};

async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, stop: () => boolean): Promise<void> {
  try {
    while (!stop() && !(await reader.read()).done);
  } catch {
    // The client went away; nothing left to drain.
  }
}
