import { concatBytes } from '@graphpipe/protocol';
import { bodyTimeout, isBusy } from './body.js';
import type { Answer, Exchange } from './handler.js';

// Below this size one joined buffer costs less than streaming its pieces.
const STREAM_FROM_BYTES = 64 * 1024;
const OCTETS = 'application/octet-stream';

/** A POST through web-standard streams: works on any runtime that has Request. */
export function webExchange(request: Request): Exchange {
  return {
    contentLength: request.headers.get('content-length'),
    signal: request.signal,
    async readBody(collector, limits) {
      const body = request.body;
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
  };
}

/** A 200 Response for an answer: one buffer when small, its chunks streamed uncopied when large. */
export function webAnswer({ chunks, length }: Answer, extraHeaders: Readonly<Record<string, string>>): Response {
  // A fresh object per answer: @hono/node-server writes Content-Length into the headers it is
  // given, so a shared one would give every later answer the first one's length.
  const headers = { 'content-type': OCTETS, ...extraHeaders };
  if (chunks.length === 1 || length < STREAM_FROM_BYTES)
    return new Response(concatBytes(chunks, length) as Uint8Array<ArrayBuffer>, { headers });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  return new Response(stream, { headers: { ...headers, 'content-length': String(length) } });
}

async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, stop: () => boolean): Promise<void> {
  try {
    while (!stop() && !(await reader.read()).done);
  } catch {
    // The client went away; nothing left to drain.
  }
}
