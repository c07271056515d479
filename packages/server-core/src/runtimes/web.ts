import {
  byteLengthOf,
  chunkStream,
  concatBytes,
  GraphPipeError,
  isGraphPipeError,
  JOIN_BELOW_BYTES,
} from '@graphpipe/protocol';
import { type BodyCollector, type BodyLimits, bodyFailed, bodyTimeout, isBusy } from '../http/body.js';
import { isPooled, retire } from '../http/body-pool.js';
import type { ServerCore } from '../http/core.js';
import { clearDeadline, setDeadline } from '../http/deadlines.js';
import { type Coding, corruptBody } from '../http/encoding.js';
import { type Exchange, LazyAbort, type Reply, type ReplyBody } from '../http/exchange.js';

/**
 * Serves a core through web-standard Request and Response, on any runtime that has them.
 * `whenWritten`, where the runtime can tell, calls `done` once the answer has gone out in full
 * (the Node adapter of hono passes its response stream); elsewhere an answer counts as sent
 * once its Response is handed back. The Response is handed back as soon as there is one, which
 * is not always when the core is done: a drain that runs out of time answers 503 for a request
 * whose model is still running. `direct`: the Responses go straight to the runtime, which copies
 * their headers, so headers shared by many answers are prepared once (never with middleware
 * after it, which may change a Response's headers in place).
 */
export function createFetchHandler(
  core: ServerCore,
  headers: Readonly<Record<string, string>> = {},
  { direct = false }: { direct?: boolean } = {},
): (request: Request, whenWritten?: (done: () => void) => void) => Promise<Response> {
  return (request, whenWritten) =>
    new Promise<Response>((resolve, reject) => {
      let answered = false;
      const exchange = webExchange(request, (reply, done) => {
        answered = true;
        const respond = () => {
          resolve(toResponse(reply, headers, direct));
          if (whenWritten) return whenWritten(done);
          keepBorrowed(reply.body);
          done();
        };
        const draining = drainUnread(request);
        if (draining) void draining.then(respond);
        else respond();
      });
      // The core answers every request it takes, so the rejection below comes only from a bug.
      core.handle(exchange).then(() => {
        if (!answered) reject(new Error('the server core finished without an answer'));
      }, reject);
    });
}

/**
 * Where the runtime cannot tell when an answer has been written, memory it borrows from a
 * request body (an identity model's outputs are views of its inputs) is kept out of the body
 * pool for good rather than reused under the runtime's feet; an answer of the model's own memory,
 * the usual case, leaves the body's memory free for reuse at once.
 */
function keepBorrowed(body: ReplyBody): void {
  if (typeof body === 'string') return;
  if (body instanceof Uint8Array) {
    if (isPooled(body.buffer)) retire(body.buffer);
    return;
  }
  for (const chunk of body) if (isPooled(chunk.buffer)) retire(chunk.buffer);
}

/**
 * A request through web-standard streams; `onReply` receives the answer, and calls `done` once
 * it has been written in full: the request body's memory, which the answer may borrow, is
 * reused from then on.
 */
export function webExchange(request: Request, onReply: (reply: Reply, done: () => void) => void): Exchange {
  return new WebExchange(request, onReply);
}

/** Declared bodies up to this size are read whole, in one call, rather than chunk by chunk. */
const WHOLE_BELOW_BYTES = JOIN_BELOW_BYTES;

/** Unread bodies up to this size are drained before their answer, for at most this long (see drainUnread). */
const DRAIN_BELOW_BYTES = 64 * 1024 * 1024;
const DRAIN_MS = 10_000;

/**
 * A body answered without being read (413 from its Content-Length, 401, 404): the runtime may
 * drop the connection under the upload, and the client then sees a reset instead of the answer.
 * A modest one is read and dropped first, as a server lingers before closing; undefined when
 * there is nothing to drain. Checked in this order because touching `request.body` makes a
 * stream on Bun, for nothing when the body was read.
 */
function drainUnread(request: Request): Promise<void> | undefined {
  if (request.bodyUsed) return undefined;
  const length = Number(request.headers.get('content-length') ?? Number.NaN);
  if (!(length < DRAIN_BELOW_BYTES) || !request.body) return undefined;
  return request.body.pipeTo(new WritableStream(), { signal: AbortSignal.timeout(DRAIN_MS) }).catch(() => {});
}

class WebExchange extends LazyAbort implements Exchange {
  readonly method: string;
  readonly path: string;

  constructor(
    private readonly request: Request,
    private readonly onReply: (reply: Reply, done: () => void) => void,
  ) {
    super();
    this.method = request.method;
    this.path = pathOf(request.url);
  }

  header(name: string): string | undefined {
    return this.request.headers.get(name) ?? undefined;
  }

  protected watchClient(controller: AbortController): void {
    this.request.signal.addEventListener(
      'abort',
      () => controller.abort(new GraphPipeError('ABORTED', 'the client went away')),
      { once: true },
    );
  }

  // The runtime decides about the connection; a web Response cannot ask to close it.
  send(reply: Reply, _close: boolean, done: () => void): void {
    this.onReply(reply, done);
  }

  readBody(collector: BodyCollector, limits: BodyLimits, coding?: Coding): Promise<Uint8Array> {
    if (collector.empty) return Promise.resolve(collector.finish());
    const declared = collector.declared;
    // A small declared body in one call: far cheaper than a stream reader on Bun and Deno. Taken
    // before `request.body` is touched, which on Bun makes a ReadableStream for every request.
    if (!coding && declared > 0 && declared < WHOLE_BELOW_BYTES) return this.readWhole(collector, limits);
    const body = this.request.body;
    if (!body) return Promise.resolve(collector.finish());
    if (coding) return readInflated(body, coding, collector, limits);
    return readStream(body.getReader(), collector, limits);
  }

  private readWhole(collector: BodyCollector, limits: BodyLimits): Promise<Uint8Array> {
    const whole = this.request.arrayBuffer();
    return new Promise<Uint8Array>((resolve, reject) => {
      // Turned away for lack of room: the bytes are read all the same and dropped, so the client
      // gets its 503 instead of a connection reset in the middle of its upload.
      let busy: unknown;
      try {
        collector.begin();
      } catch (err) {
        busy = err;
      }
      // The runtime reads the body; a client that stops sending gets its 408 all the same.
      const deadline = setDeadline(limits.timeoutMs, () => reject(bodyTimeout(limits)));
      whole.then(
        (bytes) => {
          clearDeadline(deadline);
          if (busy) return reject(busy);
          try {
            collector.add(new Uint8Array(bytes));
            resolve(collector.finish());
          } catch (err) {
            reject(err);
          }
        },
        (err: unknown) => {
          clearDeadline(deadline);
          reject(busy ?? bodyFailed(err));
        },
      );
    });
  }
}

/**
 * A compressed body through the runtime's DecompressionStream, its upload read here rather than
 * piped so that an upload that broke off (499) stays apart from bytes that do not inflate (400),
 * and a body turned away for lack of room is drained as it came, not inflated for nothing.
 */
function readInflated(
  body: ReadableStream<Uint8Array>,
  coding: Coding,
  collector: BodyCollector,
  limits: BodyLimits,
): Promise<Uint8Array> {
  const upload = body.getReader();
  let draining = false;
  const source = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await upload.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(bodyFailed(err));
        }
      },
      cancel: (reason) => (draining ? undefined : upload.cancel(reason)),
    },
    { highWaterMark: 0 },
  );
  const inflated = source.pipeThrough(
    new DecompressionStream(coding) as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  return readStream(inflated.getReader(), collector, limits, {
    failed: (err) => corruptBody(coding, err),
    discard: (stop) => {
      draining = true;
      return discard(upload, stop);
    },
  });
}

interface StreamFailures {
  /** The error for a stream that failed on its own (not by the collector's refusal). */
  readonly failed: (err: unknown) => GraphPipeError;
  /** Reads the rest of the upload and drops it. */
  readonly discard: (stop: () => boolean) => Promise<void>;
}

async function readStream(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  collector: BodyCollector,
  limits: BodyLimits,
  failures: StreamFailures = { failed: bodyFailed, discard: (stop) => discard(reader, stop) },
): Promise<Uint8Array> {
  let timedOut = false;
  const deadline = setDeadline(limits.timeoutMs, () => {
    timedOut = true;
    void reader.cancel().catch(() => {});
  });
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
    if (isBusy(err)) await failures.discard(() => timedOut);
    void reader.cancel().catch(() => {});
    if (timedOut) throw bodyTimeout(limits);
    // The collector's refusals (413, 400, 503) and a failed upload as they are; the stream's own
    // failure is the upload's (or, inflating, the compressed bytes').
    throw isGraphPipeError(err) ? err : failures.failed(err);
  } finally {
    clearDeadline(deadline);
  }
}

/**
 * A Response for a reply: one buffer when small, its chunks streamed uncopied when large, or
 * streamed through the runtime's CompressionStream when the caller asked for it compressed.
 * `sharedHeaders`: its headers may be a Headers object shared with other Responses (see
 * createFetchHandler's `direct`).
 */
export function toResponse(
  reply: Reply,
  extraHeaders: Readonly<Record<string, string>>,
  sharedHeaders = false,
): Response {
  const { body, status, coding } = reply;
  const whole = typeof body === 'string' || body instanceof Uint8Array;
  if (whole && !coding) {
    const headers = sharedHeaders ? headersFor(reply, extraHeaders) : { ...reply.headers, ...extraHeaders };
    return new Response(body as string | Uint8Array<ArrayBuffer>, { status, headers });
  }
  // A fresh object per answer: @hono/node-server writes Content-Length into the headers it is
  // given, so a shared one would give every later answer the first one's length.
  const headers: Record<string, string> = { ...reply.headers, ...extraHeaders };
  if (coding) {
    const plain = whole ? new Response(body).body! : chunkStream(body as readonly Uint8Array[]);
    const zipped = plain.pipeThrough(
      new CompressionStream(coding) as unknown as TransformStream<Uint8Array, Uint8Array>,
    );
    // workerd encodes a body by its Content-Encoding unless told it already is: 'manual' says so
    // (other runtimes ignore the field).
    return new Response(zipped, { status, headers, encodeBody: 'manual' } as ResponseInit);
  }
  const chunks = body as readonly Uint8Array[];
  const length = byteLengthOf(chunks);
  if (chunks.length === 1 || length < JOIN_BELOW_BYTES) {
    return new Response(concatBytes(chunks, length) as Uint8Array<ArrayBuffer>, { status, headers });
  }
  headers['content-length'] = String(length);
  return new Response(chunkStream(chunks), { status, headers });
}

/** Headers made once for each shared (frozen) set of reply headers, by the adapter's own. */
const prepared = new WeakMap<object, WeakMap<object, Headers>>();

/**
 * A reply's headers with the adapter's: for a shared set, a Headers made once (a Response copies
 * the Headers it is given: on Bun about half the cost of reading an object's); else an object.
 */
function headersFor(reply: Reply, extraHeaders: Readonly<Record<string, string>>): Headers | Record<string, string> {
  if (!Object.isFrozen(reply.headers)) return { ...reply.headers, ...extraHeaders };
  let byExtra = prepared.get(reply.headers);
  if (!byExtra) {
    byExtra = new WeakMap();
    prepared.set(reply.headers, byExtra);
  }
  let headers = byExtra.get(extraHeaders);
  if (!headers) {
    headers = new Headers({ ...reply.headers, ...extraHeaders });
    byExtra.set(extraHeaders, headers);
  }
  return headers;
}

/** The path of an absolute URL, without parsing all of it. */
function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.indexOf('?', start);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}

async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, stop: () => boolean): Promise<void> {
  try {
    while (!stop() && !(await reader.read()).done);
  } catch {
    // The client went away; nothing left to drain.
  }
}
