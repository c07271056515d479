import type { IncomingMessage, ServerResponse } from 'node:http';
import { concatBytes, GraphPipeError } from '@graphpipe/protocol';
import { bodyTimeout, isBusy } from './body.js';
import { asGraphPipeError, errorParts } from './errors.js';
import type { Answer, Exchange, GraphPipeHandler } from './handler.js';
import type { ServerMetrics } from './metrics.js';

const JOIN_BELOW_BYTES = 64 * 1024;

/**
 * A POST straight off Node's own streams, with no web Request or Response built: socket chunks
 * go into the body's one buffer, and the answer is written as its chunks (header bytes, then
 * the tensors' own memory). This is the hot path; everything else goes through the Hono app.
 */
export function servePostOnNode(
  handler: GraphPipeHandler,
  req: IncomingMessage,
  res: ServerResponse,
  metrics?: ServerMetrics,
): void {
  const { logger, cors } = handler;
  const start = logger || metrics ? performance.now() : 0;
  const exchange = nodeExchange(req, res);
  handler
    .answer(exchange)
    .then(
      (answer) => writeAnswer(res, answer, cors.headers),
      (err) => {
        const error = asGraphPipeError(err);
        if (logger && error.status >= 500) logger.error({ err, path: req.url }, error.message);
        writeError(res, error, cors.headers, !req.complete);
      },
    )
    .finally(() => {
      if (!logger && !metrics) return;
      const ms = performance.now() - start;
      metrics?.observe(exchange.kind ?? 'invalid', res.statusCode, ms / 1000);
      if (logger)
        logger.info({ method: 'POST', path: req.url, kind: exchange.kind, status: res.statusCode, ms: +ms.toFixed(2) });
    });
}

function nodeExchange(incoming: IncomingMessage, outgoing: ServerResponse): Exchange {
  let controller: AbortController | undefined;
  return {
    contentLength: incoming.headers['content-length'],
    // Made on first use: most requests never need one before they are answered.
    get signal() {
      if (!controller) {
        const c = new AbortController();
        controller = c;
        outgoing.once('close', () => {
          if (!outgoing.writableFinished) c.abort(new GraphPipeError('ABORTED', 'the client went away'));
        });
      }
      return controller.signal;
    },
    readBody(collector, limits) {
      if (collector.empty) return Promise.resolve(collector.finish());
      return new Promise((resolve, reject) => {
        let busy: unknown;
        const cleanup = () => {
          clearTimeout(timer);
          incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
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
        };
        const onData = (chunk: Buffer) => {
          try {
            collector.add(chunk);
          } catch (err) {
            if (!isBusy(err)) return fail(err);
            dropRest(err);
          }
        };
        const onEnd = () => {
          cleanup();
          if (busy) return reject(busy);
          try {
            resolve(collector.finish());
          } catch (err) {
            reject(err);
          }
        };
        const onError = (err: Error) => fail(new GraphPipeError('ABORTED', `request body failed: ${err.message}`));
        const onClose = () => fail(new GraphPipeError('ABORTED', 'the client went away before sending the whole body'));
        const timer = setTimeout(() => fail(bodyTimeout(limits)), limits.timeoutMs);
        try {
          collector.begin();
        } catch (err) {
          if (!isBusy(err)) return fail(err);
          dropRest(err);
        }
        incoming.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
      });
    },
  };
}

function writeAnswer(
  res: ServerResponse,
  { chunks, length }: Answer,
  extraHeaders: Readonly<Record<string, string>>,
): void {
  if (res.destroyed) return;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': length, ...extraHeaders });
  if (length < JOIN_BELOW_BYTES) {
    // One write carries the head and a small body together; separate writes cost a writev each.
    res.end(concatBytes(chunks, length));
    return;
  }
  for (let i = 0; i < chunks.length - 1; i++) res.write(chunks[i]);
  res.end(chunks[chunks.length - 1]);
}

function writeError(
  res: ServerResponse,
  error: GraphPipeError,
  extraHeaders: Readonly<Record<string, string>>,
  bodyUnread: boolean,
): void {
  if (res.destroyed || res.headersSent) return;
  const { status, headers, text } = errorParts(error, extraHeaders);
  // A body we stopped reading (too large, too slow) is not worth draining: close after answering.
  if (bodyUnread) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}
