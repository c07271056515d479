import { create, ModelStreamInferResponseSchema, toBinary } from '@graphpipe/protocol/grpc';
import type { ServerDuplexStream, ServerErrorResponse } from '@grpc/grpc-js';
import type { ServerCore } from '../http/core.js';
import { callDeadline, GrpcExchange } from './exchange.js';

/**
 * ModelStreamInfer: each request on the stream runs as a ModelInfer call of its own (limits,
 * lifecycle, logs and metrics as for any call), and the answers go back in the order the
 * requests came, one each. A failed request answers with its error message, as Triton does,
 * and the stream goes on.
 */
export function streamInfer(calls: ServerCore, streamPath: string) {
  const inferPath = streamPath.replace(/ModelStreamInfer$/, 'ModelInfer');
  return (call: ServerDuplexStream<Uint8Array, Uint8Array>): void => {
    let previous = Promise.resolve();
    let pending = 0;
    let ended = false;
    const finishIfDone = () => {
      if (ended && pending === 0) call.end();
    };
    call.on('data', (request: Uint8Array) => {
      pending++;
      const answer = new Promise<Uint8Array>((resolve) => {
        void calls.handle(
          new GrpcExchange(inferPath, {
            request,
            metadata: call.metadata,
            deadline: callDeadline(call.getDeadline()),
            onCancel: (listener) => call.once('cancelled', listener),
            answer: (error, response) => resolve(error ? errorAnswer(error) : inferAnswer(response!)),
          }),
        );
      });
      previous = previous
        .then(() => answer)
        .then((bytes) => {
          if (!call.cancelled) call.write(bytes);
          pending--;
          finishIfDone();
        });
    });
    call.on('end', () => {
      ended = true;
      finishIfDone();
    });
    // A stream the caller broke off (reset, cancelled): the answers still owed are dropped above,
    // and an 'error' event with no listener would bring the whole process down.
    call.on('error', () => {});
  };
}

/**
 * A ModelStreamInferResponse around an encoded ModelInferResponse, without decoding it again:
 * field 2 (infer_response), length-delimited.
 */
function inferAnswer(response: Uint8Array): Uint8Array {
  const length = varint(response.length);
  const out = new Uint8Array(1 + length.length + response.length);
  out[0] = (2 << 3) | 2;
  out.set(length, 1);
  out.set(response, 1 + length.length);
  return out;
}

function errorAnswer(error: ServerErrorResponse): Uint8Array {
  return toBinary(
    ModelStreamInferResponseSchema,
    create(ModelStreamInferResponseSchema, { errorMessage: error.message }),
  );
}

function varint(n: number): number[] {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  bytes.push(n);
  return bytes;
}
