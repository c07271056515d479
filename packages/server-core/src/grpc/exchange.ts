import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';
import {
  byteLengthOf,
  codeFromStatus,
  concatBytes,
  ERROR_CODE_HEADER,
  GraphPipeError,
  grpcTimeoutMs,
  isErrorCode,
  JOIN_BELOW_BYTES,
  TIMEOUT_HEADER,
} from '@graphpipe/protocol';
import { grpcStatusOf } from '@graphpipe/protocol/grpc';
import { type BodyCollector, type BodyLimits, bodyTimeout, tooLarge } from '../http/body.js';
import { clearDeadline, setDeadline } from '../http/deadlines.js';
import { type Coding, corruptBody } from '../http/encoding.js';
import { type Exchange, LazyAbort, type Reply, type ReplyBody } from '../http/exchange.js';
import { ANSWER_HEADERS, answerStatus, type GrpcFailure, OK_TRAILERS, PREFIX_BYTES, writePrefix } from './wire.js';

const NO_BYTES = new Uint8Array(0);

/** How close to its deadline a cancel is taken for the deadline passing on the caller's side. */
const DEADLINE_CANCEL_WINDOW_MS = 1000;

/**
 * What every call's exchanges share: the method's path, the metadata as headers, the call's
 * deadline, and the caller going away.
 */
export abstract class GrpcExchange extends LazyAbort implements Exchange {
  readonly method = 'POST';
  /** When the caller stops waiting (its grpc-timeout), as a performance.now() time; undefined for none. */
  readonly deadline: number | undefined;
  /** Set once the call's answer (or this message's, on a stream) has been given. */
  private answered = false;
  /** The listener watchClient put on the stream, taken off once answered: a stream carries many messages. */
  private onStreamClose: (() => void) | undefined;

  constructor(
    readonly path: string,
    protected readonly stream: ServerHttp2Stream,
    protected readonly headers: IncomingHttpHeaders,
    deadline: number | undefined,
  ) {
    super();
    this.deadline = deadline;
  }

  /** The first bytes of the message that have arrived, for placing it (see rawInputContentsAt). */
  get head(): Uint8Array {
    return NO_BYTES;
  }

  header(name: string): string | undefined {
    const value = this.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  protected watchClient(controller: AbortController): void {
    this.onStreamClose = () => {
      if (this.answered) return;
      // A client cancels its call as its deadline passes (HTTP/2 has no other way to say so), a
      // moment before the server's copy of that deadline, which started as the call arrived. Such a
      // cancel is left to the deadline, which answers the call as timed out: counted, and its run
      // abandoned rather than finished for nobody.
      const { deadline } = this;
      if (deadline !== undefined && deadline - performance.now() < DEADLINE_CANCEL_WINDOW_MS) return;
      controller.abort(new GraphPipeError('ABORTED', 'the client cancelled the call'));
    };
    this.stream.once('close', this.onStreamClose);
  }

  /** Marks the answer given, and stops watching the stream for the caller leaving. */
  protected markAnswered(): void {
    this.answered = true;
    if (this.onStreamClose) this.stream.off('close', this.onStreamClose);
  }

  abstract readBody(collector: BodyCollector, limits: BodyLimits, coding?: Coding): Promise<Uint8Array>;
  abstract send(reply: Reply, close: boolean, done: () => void): void;
}

/** A call's deadline from its grpc-timeout header; undefined without one, or when malformed (the core then refuses it). */
export function callDeadline(headers: IncomingHttpHeaders): number | undefined {
  const value = headers[TIMEOUT_HEADER];
  if (typeof value !== 'string') return undefined;
  try {
    return performance.now() + grpcTimeoutMs(value);
  } catch {
    return undefined;
  }
}

/**
 * A unary call, as the core sees a request: a POST to the method's path, the metadata as
 * headers, its one message as the body. The server reads the message's prefix before handing
 * the call over, so the message's length stands as the Content-Length: the body is then read
 * straight from the stream's chunks into memory taken once (reused from earlier calls for large
 * ones), and raw tensor contents stay views of it. A compressed message (grpc-encoding) is
 * inflated whole; its limits are counted in inflated bytes.
 */
export class UnaryCall extends GrpcExchange {
  /** Bytes of the message that arrived before the body was asked for. */
  private early: Uint8Array[] = [];
  private ended = false;
  private reader: { data(chunk: Uint8Array): void; end(): void } | undefined;
  private received = 0;

  constructor(
    path: string,
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    deadline: number | undefined,
    /** The message's length, from its prefix. */
    private readonly length: number,
    /** How it is compressed, when its prefix says it is. */
    private readonly coding: Coding | undefined,
  ) {
    super(path, stream, headers, deadline);
  }

  override get head(): Uint8Array {
    return this.early[0] ?? NO_BYTES;
  }

  override header(name: string): string | undefined {
    if (name === 'content-length') return this.coding ? undefined : String(this.length);
    if (name === 'content-encoding') return this.coding;
    return super.header(name);
  }

  /** The stream's bytes after the prefix, as they arrive. */
  data(chunk: Uint8Array): void {
    if (this.reader) this.reader.data(chunk);
    else if (chunk.length > 0) this.early.push(chunk);
  }

  /** The caller has sent all it will. */
  end(): void {
    this.ended = true;
    this.reader?.end();
  }

  readBody(collector: BodyCollector, limits: BodyLimits, coding?: Coding): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const compressed: Uint8Array[] | undefined = coding ? [] : undefined;
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearDeadline(deadline);
        this.stream.off('close', onClose);
        this.reader = { data: () => {}, end: () => {} };
        reject(err);
      };
      const data = (chunk: Uint8Array) => {
        if (settled) return;
        if (this.received + chunk.length > this.length) return fail(extraBytes(this.length));
        this.received += chunk.length;
        try {
          if (compressed) compressed.push(chunk);
          else collector.add(chunk);
        } catch (err) {
          fail(err);
        }
      };
      const end = () => {
        if (settled) return;
        if (this.received < this.length) return fail(cutShort(this.received, this.length));
        clearDeadline(deadline);
        this.stream.off('close', onClose);
        const whole = compressed
          ? inflated(coding!, concatBytes(compressed), limits.maxBytes).then((bytes) => collector.add(bytes))
          : Promise.resolve();
        whole.then(
          () => {
            settled = true;
            resolve(collector.finish());
          },
          (err: unknown) => fail(err),
        );
      };
      const onClose = () =>
        fail(new GraphPipeError('ABORTED', 'the caller went away before sending its whole message'));
      const deadline = setDeadline(limits.timeoutMs, () => fail(bodyTimeout(limits)));
      this.stream.once('close', onClose);
      try {
        collector.begin();
      } catch (err) {
        return fail(err);
      }
      this.reader = { data, end };
      for (const chunk of this.early) data(chunk);
      this.early = [];
      if (this.ended) end();
    });
  }

  send(reply: Reply, _close: boolean, done: () => void): void {
    this.markAnswered();
    const { stream } = this;
    if (reply.status >= 300) {
      answerStatus(stream, failureOf(reply), done);
      return;
    }
    if (stream.destroyed || stream.closed) {
      done();
      return;
    }
    // 'close' comes once the last frame has gone out (or the stream was reset): the body's memory
    // is free again. Each event comes once: plain listeners, without once()'s wrapper per call.
    stream.on('close', done);
    stream.on('wantTrailers', sendOkTrailers);
    stream.respond(ANSWER_HEADERS, WAIT_FOR_TRAILERS);
    writeMessage(stream, reply.body);
    stream.end();
  }
}

const WAIT_FOR_TRAILERS = Object.freeze({ waitForTrailers: true });

export function sendOkTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

/**
 * Writes one message, its prefix first: joined with a small message into one write, ahead of a
 * large one's chunks, which go out uncopied.
 */
export function writeMessage(stream: ServerHttp2Stream, body: ReplyBody): void {
  const chunks = messageChunks(body);
  const length = byteLengthOf(chunks);
  if (length < JOIN_BELOW_BYTES) {
    const message = Buffer.allocUnsafe(PREFIX_BYTES + length);
    writePrefix(message, length);
    let at = PREFIX_BYTES;
    for (const chunk of chunks) {
      message.set(chunk, at);
      at += chunk.length;
    }
    stream.write(message);
    return;
  }
  const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
  writePrefix(prefix, length);
  stream.write(prefix);
  for (const chunk of chunks) stream.write(chunk);
}

/** A success reply's body: the encoded response message, in one buffer or in chunks. */
export function messageChunks(body: ReplyBody): readonly Uint8Array[] {
  if (body instanceof Uint8Array) return [body];
  if (typeof body === 'string') return [new TextEncoder().encode(body)];
  return body;
}

/**
 * One message of a stream (ModelStreamInfer), which the server has read whole: reading it only
 * takes its bytes from the shared budget and checks the size limit.
 */
export class StreamedMessage extends GrpcExchange {
  constructor(
    path: string,
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    deadline: number | undefined,
    private readonly message: Uint8Array,
    /** Takes the answer: the encoded response message, or the failure. */
    private readonly answer: (failure: GrpcFailure | null, body?: ReplyBody) => void,
  ) {
    super(path, stream, headers, deadline);
  }

  readBody(collector: BodyCollector): Promise<Uint8Array> {
    try {
      // Counted as one chunk of a body of unknown length: the budget and the size limit, no copy.
      collector.add(this.message);
      return Promise.resolve(this.message);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  send(reply: Reply, _close: boolean, done: () => void): void {
    this.markAnswered();
    if (reply.status < 300) this.answer(null, reply.body);
    else this.answer(failureOf(reply));
    done();
  }
}

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** A compressed message inflated (off the main thread), refused once it inflates past `maxBytes`. */
export async function inflated(coding: Coding, bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return await (coding === 'gzip' ? gunzipAsync : inflateAsync)(bytes, { maxOutputLength: maxBytes });
  } catch (err) {
    // The refusal a body inflating past the limit gets over HTTP.
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes);
    throw corruptBody(coding, err);
  }
}

function extraBytes(length: number): GraphPipeError {
  return new GraphPipeError(
    'INVALID_MESSAGE',
    `a unary call carries one message, but more bytes followed its ${length}; send one request per call`,
  );
}

function cutShort(received: number, length: number): GraphPipeError {
  return new GraphPipeError('INVALID_MESSAGE', `the call ended after ${received} of its message's ${length} bytes`);
}

/**
 * An error reply as a gRPC status: the code the core named (in its error-code header) mapped as
 * Triton maps it, the one-line message as the details; the code also goes back in the trailers
 * so our client tells INVALID_MESSAGE from INVALID_ARGUMENT.
 */
export function failureOf(reply: Reply): GrpcFailure {
  const named = reply.headers[ERROR_CODE_HEADER];
  const code = isErrorCode(named) ? named : codeFromStatus(reply.status);
  const details = typeof reply.body === 'string' ? reply.body.trim() : `error ${reply.status}`;
  const retryAfter = reply.headers['retry-after'];
  return {
    code: grpcStatusOf(code),
    details,
    metadata: { [ERROR_CODE_HEADER]: code, ...(retryAfter !== undefined ? { 'retry-after': retryAfter } : {}) },
  };
}
