import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createDeflate,
  createGunzip,
  createGzip,
  createInflate,
  deflateSync,
  type Gunzip,
  gzipSync,
  type Inflate,
} from 'node:zlib';
import { byteLengthOf, concatBytes, GraphPipeError, JOIN_BELOW_BYTES } from '@graphpipe/protocol';
import { type BodyCollector, type BodyLimits, bodyFailed, bodyTimeout, isBusy } from '../../http/body.js';
import { clearDeadline, setDeadline } from '../../http/deadlines.js';
import { type Coding, corruptBody } from '../../http/encoding.js';
import type { ReplyBody } from '../../http/exchange.js';
import { type Exchange, LazyAbort, type Reply } from '../../http/exchange.js';

/**
 * A request straight off Node's own streams, with no web Request or Response built: socket
 * chunks go into the body's one buffer, and an answer's chunks are written as they are (header
 * bytes, then the tensors' own memory).
 */
export class NodeExchange extends LazyAbort implements Exchange {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    /** Headers every answer carries (CORS), as name, value, name, value. */
    private readonly extraHeaders: readonly string[],
  ) {
    super();
  }

  get method(): string {
    return this.req.method!;
  }

  get path(): string {
    const url = this.req.url!;
    const query = url.indexOf('?');
    return query < 0 ? url : url.slice(0, query);
  }

  header(name: string): string | undefined {
    const value = this.req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  protected watchClient(controller: AbortController): void {
    const res = this.res;
    res.once('close', () => {
      if (!res.writableFinished) controller.abort(new GraphPipeError('ABORTED', 'the client went away'));
    });
  }

  readBody(collector: BodyCollector, limits: BodyLimits, coding?: Coding) {
    const incoming = this.req;
    if (collector.empty) return Promise.resolve(collector.finish());
    return new Promise<Uint8Array>((resolve, reject) => {
      let busy: unknown;
      // A compressed body goes through zlib chunk by chunk; the collector counts what comes out.
      const inflater = coding ? inflaterFor(coding) : undefined;
      const cleanup = () => {
        clearDeadline(deadline);
        incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
        inflater?.destroy();
      };
      const fail = (err: unknown) => {
        cleanup();
        incoming.pause();
        reject(err);
      };
      // Turned away for lack of room: keep reading but drop the bytes, so the client gets its
      // 503 instead of a connection reset in the middle of its upload.
      const dropRest = (err: unknown) => {
        incoming.off('data', onData).on('data', () => {});
        busy = err;
        if (!inflater) return;
        inflater.destroy();
        // Inflating lags the upload: it may be in already, with no 'end' left to come.
        if (incoming.readableEnded) finish();
        else incoming.resume();
      };
      const collect = (chunk: Buffer) => {
        try {
          collector.add(chunk);
        } catch (err) {
          if (!isBusy(err)) return fail(err);
          dropRest(err);
        }
      };
      const finish = () => {
        cleanup();
        if (busy) return reject(busy);
        try {
          resolve(collector.finish());
        } catch (err) {
          reject(err);
        }
      };
      // zlib's own backpressure: a client sending faster than it inflates waits, rather than
      // its compressed bytes piling up here.
      const onData = inflater
        ? (chunk: Buffer) => {
            if (!inflater.write(chunk)) incoming.pause();
          }
        : collect;
      const onEnd = () => {
        if (!inflater || busy) return finish();
        // The upload is whole (its 'close' follows at once); what is left is zlib's work.
        incoming.off('close', onClose);
        inflater.end();
      };
      const onError = (err: Error) => fail(bodyFailed(err));
      const onClose = () => fail(new GraphPipeError('ABORTED', 'the client went away before sending the whole body'));
      const deadline = setDeadline(limits.timeoutMs, () => fail(bodyTimeout(limits)));
      if (inflater) {
        inflater
          .on('data', collect)
          .on('drain', () => incoming.resume())
          .on('end', finish)
          .on('error', (err) => fail(corruptBody(coding!, err)));
      }
      try {
        collector.begin();
      } catch (err) {
        if (!isBusy(err)) return fail(err);
        dropRest(err);
      }
      incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
    });
  }

  /**
   * Whether part of the body is still unread. A request without a body is not yet `complete`
   * while its own listener runs (the parser marks it after), and a route may answer it there.
   */
  private bodyLeft(): boolean {
    const req = this.req;
    if (req.complete) return false;
    const length = req.headers['content-length'];
    return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  }

  send(reply: Reply, close: boolean, done: () => void): void {
    const res = this.res;
    if (res.destroyed || res.headersSent) {
      done();
      return;
    }
    // 'close' comes after 'finish', which comes once the last byte was handed to the kernel.
    // An answer queued behind an earlier one on the same connection (pipelining) has no socket
    // yet, and if the connection dies first Node never closes it: watch the connection too.
    const socket = this.req.socket;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.off('close', finish);
      done();
    };
    // Each is emitted once: plain listeners, without once()'s wrapper per request.
    res.on('close', finish);
    if (!res.socket) socket.on('close', finish);
    const { body } = reply;
    const headers: string[] = [];
    for (const name in reply.headers) headers.push(name, reply.headers[name]!);
    for (const h of this.extraHeaders) headers.push(h);
    // A body we stopped reading (too large, too slow) is not worth draining: close after answering.
    if (close || this.bodyLeft()) headers.push('connection', 'close');
    if (reply.coding) {
      sendCompressed(res, reply.status, headers, body, reply.coding);
    } else if (typeof body === 'string') {
      headers.push('content-length', String(Buffer.byteLength(body)));
      res.writeHead(reply.status, headers).end(body);
    } else if (body instanceof Uint8Array) {
      headers.push('content-length', String(body.length));
      res.writeHead(reply.status, headers).end(body);
    } else {
      const length = byteLengthOf(body);
      headers.push('content-length', String(length));
      res.writeHead(reply.status, headers);
      // One write carries the head and a small body together; separate writes cost a writev each.
      if (length < JOIN_BELOW_BYTES) {
        res.end(concatBytes(body, length));
        return;
      }
      for (let i = 0; i < body.length - 1; i++) res.write(body[i]);
      res.end(body[body.length - 1]);
    }
  }
}

function inflaterFor(coding: Coding): Gunzip | Inflate {
  return coding === 'gzip' ? createGunzip() : createInflate();
}

/**
 * A compressed answer: a small body at once, with its length; a large one streamed through zlib
 * off the main thread (chunked, its compressed length unknown until the end).
 */
function sendCompressed(res: ServerResponse, status: number, headers: string[], body: ReplyBody, coding: Coding): void {
  const length =
    typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.length : byteLengthOf(body);
  if (length < JOIN_BELOW_BYTES) {
    const whole = typeof body === 'string' || body instanceof Uint8Array ? body : concatBytes(body, length);
    const bytes = coding === 'gzip' ? gzipSync(whole) : deflateSync(whole);
    headers.push('content-length', String(bytes.length));
    res.writeHead(status, headers).end(bytes);
    return;
  }
  res.writeHead(status, headers);
  const zip = coding === 'gzip' ? createGzip() : createDeflate();
  // A failure here is the server's own; the answer is already under way, so cut it off.
  zip.on('error', (err) => res.destroy(err));
  res.once('close', () => zip.destroy());
  zip.pipe(res);
  if (typeof body === 'string' || body instanceof Uint8Array) zip.end(body);
  else {
    for (const chunk of body) zip.write(chunk);
    zip.end();
  }
}
