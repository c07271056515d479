import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { GraphPipeError } from '@graphpipe/protocol';
import type { Context } from 'hono';
import { bodyTimeout, isBusy } from './body.js';
import type { RuntimeIO } from './runtime.js';

interface NodeBindings {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

const node = (c: Context) => c.env as NodeBindings;

/**
 * Node's own streams, bypassing the web Request/Response that @hono/node-server would build:
 * the body goes from socket chunks straight into its one buffer, and answers are written as
 * their chunks (header bytes, then the tensors' own memory), with no joined copy.
 */
export const nodeIO: RuntimeIO = {
  readBody(c, collector, limits) {
    const incoming = node(c).incoming;
    if (collector.empty) return Promise.resolve(collector.finish());
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        incoming.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      };
      const fail = (err: unknown) => {
        cleanup();
        // Unread bytes are left for @hono/node-server, which drains or closes after the answer.
        incoming.pause();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        try {
          collector.add(chunk);
        } catch (err) {
          if (!isBusy(err)) return fail(err);
          dropRest(err);
        }
      };
      let busy: unknown;
      // Turned away for lack of room: keep reading but drop the bytes, so the client gets its
      // 503 instead of a connection reset in the middle of its upload.
      const dropRest = (err: unknown) => {
        incoming.off('data', onData).on('data', () => {});
        busy = err;
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

  signal(c) {
    const { outgoing } = node(c);
    const controller = new AbortController();
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) controller.abort(new GraphPipeError('ABORTED', 'the client went away'));
    });
    return controller.signal;
  },

  send(c, chunks, length, headers) {
    const { outgoing } = node(c);
    outgoing.writeHead(200, { ...headers, 'content-length': length });
    for (let i = 0; i < chunks.length - 1; i++) outgoing.write(chunks[i]);
    outgoing.end(chunks[chunks.length - 1]);
    return RESPONSE_ALREADY_SENT;
  },
};
