import { codeFromStatus, ERROR_CODE_HEADER, GraphPipeError, isErrorCode } from '@graphpipe/protocol';
import { GrpcStatus, grpcStatusOf } from '@graphpipe/protocol/grpc';
import { Metadata, type ServerErrorResponse } from '@grpc/grpc-js';
import type { BodyCollector } from '../http/body.js';
import { type Exchange, LazyAbort, type Reply } from '../http/exchange.js';

/** What a call gives the exchange: its message, metadata and cancellation; and how to answer. */
export interface GrpcCall {
  /** The request message, undecoded (the service's deserializer hands the bytes through). */
  readonly request: Uint8Array;
  readonly metadata: Metadata;
  /** When the caller stops waiting (its gRPC deadline), as a performance.now() time; undefined for none. */
  readonly deadline: number | undefined;
  /** Registers a listener for the caller cancelling (or its deadline passing). */
  onCancel(listener: () => void): void;
  /** Answers: the encoded response message, or an error with its status. */
  answer(error: ServerErrorResponse | null, response?: Uint8Array): void;
}

/** How close to its deadline a cancel is taken for the deadline passing on the client's side. */
const DEADLINE_CANCEL_WINDOW_MS = 1000;

/**
 * One gRPC call as the core sees a request: a POST to the method's path, the metadata as
 * headers, the received message as the body. The message is already in memory, so reading it
 * only takes its bytes from the shared budget and checks the size limit; it is not copied, and
 * raw tensor contents stay views of it.
 */
export class GrpcExchange extends LazyAbort implements Exchange {
  readonly method = 'POST';

  constructor(
    readonly path: string,
    private readonly call: GrpcCall,
  ) {
    super();
  }

  /** The call's deadline (see GrpcCall), which its inference runs by. */
  get deadline(): number | undefined {
    return this.call.deadline;
  }

  header(name: string): string | undefined {
    const values = this.call.metadata.get(name);
    if (values.length === 0) return undefined;
    return values.map(String).join(', ');
  }

  protected watchClient(controller: AbortController): void {
    this.call.onCancel(() => {
      // A client cancels its call as its deadline passes (HTTP/2 has no other way to say so), a
      // moment before the server's copy of that deadline, which started as the call arrived. Such a
      // cancel is left to the deadline, which answers the call as timed out: counted, and its run
      // abandoned rather than finished for nobody.
      const { deadline } = this.call;
      if (deadline !== undefined && deadline - performance.now() < DEADLINE_CANCEL_WINDOW_MS) return;
      controller.abort(new GraphPipeError('ABORTED', 'the client cancelled the call'));
    });
  }

  readBody(collector: BodyCollector): Promise<Uint8Array> {
    try {
      // Counted as one chunk of a body of unknown length: the budget and the size limit, no copy.
      collector.add(this.call.request);
      return Promise.resolve(this.call.request);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  send(reply: Reply, _close: boolean, done: () => void): void {
    if (reply.status < 300) this.call.answer(null, messageBytes(reply.body));
    else this.call.answer(errorOf(reply));
    done();
  }
}

/**
 * A call's deadline as the core keeps them (a performance.now() time), from grpc-js's (a
 * Date.now() time, or Infinity for none).
 */
export function callDeadline(deadline: Date | number): number | undefined {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(at) ? performance.now() + (at - Date.now()) : undefined;
}

/** A success reply's body: the encoded response message. */
function messageBytes(body: Reply['body']): Uint8Array {
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return new TextEncoder().encode(body);
  throw new TypeError('a gRPC reply is one encoded message');
}

/**
 * An error reply as a gRPC status: the code the core named (in its error-code header) mapped as
 * Triton maps it, the one-line message as the details; the code also goes back in the trailers
 * so our client tells INVALID_MESSAGE from INVALID_ARGUMENT.
 */
function errorOf(reply: Reply): ServerErrorResponse {
  const named = reply.headers[ERROR_CODE_HEADER];
  const code = isErrorCode(named) ? named : codeFromStatus(reply.status);
  const details = typeof reply.body === 'string' ? reply.body.trim() : `error ${reply.status}`;
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_HEADER, code);
  const retryAfter = reply.headers['retry-after'];
  if (retryAfter !== undefined) metadata.set('retry-after', retryAfter);
  return Object.assign(new Error(details), { code: grpcStatusOf(code) ?? GrpcStatus.UNKNOWN, details, metadata });
}
