import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import {
  create,
  encodeModelStreamInferResponse,
  GrpcStatus,
  ModelStreamInferResponseSchema,
  toBinary,
} from '@graphpipe/protocol/grpc';
import type { ServerCore } from '../http/core.js';
import { inflated, messageChunks, StreamedMessage, sendOkTrailers, writeMessage } from './exchange.js';
import { isFailure, MessageReader } from './messages.js';
import { ANSWER_HEADERS, answerStatus, type GrpcFailure } from './wire.js';

/**
 * ModelStreamInfer: each request on the stream runs as a ModelInfer call of its own (limits,
 * lifecycle, logs and metrics as for any call), and the answers go back in the order the
 * requests came, one each. A failed request answers with its error message, as Triton does,
 * and the stream goes on. The stream ends, with status OK, once the caller has ended its side
 * and every answer is out.
 */
export function streamInfer(
  calls: ServerCore,
  inferPath: string,
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  deadline: number | undefined,
  maxBytes: number,
): void {
  const encoding = headers['grpc-encoding'];
  const reader = new MessageReader(maxBytes, typeof encoding === 'string' ? encoding : undefined);
  let previous = Promise.resolve();
  let pending = 0;
  let ended = false;
  let broken = false;
  const open = () => !stream.destroyed && !stream.closed && !broken;
  const start = () => {
    if (stream.headersSent) return;
    stream.on('wantTrailers', sendOkTrailers);
    stream.respond(ANSWER_HEADERS, { waitForTrailers: true });
  };
  const finishIfDone = () => {
    if (!ended || pending > 0 || !open()) return;
    start();
    stream.end();
  };
  const breakOff = (failure: GrpcFailure) => {
    broken = true;
    answerStatus(stream, failure);
  };
  const run = (message: Uint8Array) =>
    new Promise<readonly Uint8Array[]>((resolve) => {
      void calls.handle(
        new StreamedMessage(inferPath, stream, headers, deadline, message, (failure, body) =>
          resolve(failure ? errorAnswer(failure.details) : encodeModelStreamInferResponse(messageChunks(body!))),
        ),
      );
    });
  stream.on('data', (chunk: Uint8Array) => {
    if (broken) return;
    let messages: ReturnType<MessageReader['push']>;
    try {
      messages = reader.push(chunk);
    } catch (err) {
      if (!isFailure(err)) throw err;
      return breakOff(err);
    }
    for (const { bytes, coding } of messages) {
      pending++;
      const answer = coding
        ? inflated(coding, bytes, maxBytes).then(run, (err: Error) => errorAnswer(err.message))
        : run(bytes);
      previous = previous
        .then(() => answer)
        .then((chunks) => {
          if (open()) {
            start();
            writeMessage(stream, chunks);
          }
          pending--;
          finishIfDone();
        });
    }
  });
  stream.on('end', () => {
    ended = true;
    if (reader.partial && !broken) {
      return breakOff({
        code: GrpcStatus.INTERNAL,
        details: 'the stream ended in the middle of a message',
        metadata: {},
      });
    }
    finishIfDone();
  });
}

function errorAnswer(message: string): readonly Uint8Array[] {
  return [toBinary(ModelStreamInferResponseSchema, create(ModelStreamInferResponseSchema, { errorMessage: message }))];
}
