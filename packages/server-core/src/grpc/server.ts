import {
  constants,
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { ServerOptions as TlsOptions } from 'node:https';
import { DEFAULT_DECODE_LIMITS } from '@graphpipe/protocol';
import { GRPCInferenceService, GrpcStatus, Health } from '@graphpipe/protocol/grpc';
import { DEFAULT_MAX_BODY_BYTES } from '../http/body.js';
import { runRequests, type ServerCore } from '../http/core.js';
import { RouteTable } from '../http/routes.js';
import { SERVER_NAME } from '../models/metadata.js';
import type { RepositoryAdmin } from '../protocols/repository-admin-routes.js';
import { traceGrpcCall } from '../tracing/grpc.js';
import { callDeadline, UnaryCall } from './exchange.js';
import type { GrpcServerHandle } from './handle.js';
import { isFailure, PrefixReader, readPrefix } from './messages.js';
import { addGrpcRoutes, methodPath } from './routes.js';
import { streamInfer } from './stream.js';
import { answerStatus, isGrpcContentType, PREFIX_BYTES } from './wire.js';

export interface GrpcOptions {
  /** Port; 0 picks a free one. Triton's is 8001. */
  readonly port: number;
  /** Interface to listen on. Default: the HTTP server's (127.0.0.1). */
  readonly host?: string;
  /** Serve over TLS: `key` and `cert` (PEM), as for HTTPS. Default: h2c (HTTP/2 without TLS). */
  readonly tls?: Pick<TlsOptions, 'key' | 'cert'>;
  /** The model repository, for the repository RPCs. */
  readonly repository?: RepositoryAdmin;
}

/** The front door `serveGrpc` started, with its HTTP/2 server. */
export interface GrpcServer extends GrpcServerHandle {
  readonly server: Http2Server | Http2SecureServer;
}

/**
 * Serves the core's models over gRPC on a port of its own, as Triton does: the same registry,
 * lifecycle (so a drain waits for calls too), byte budget, tokens, logs and metrics as the HTTP
 * front door, through a core of its own whose routes are the RPCs. Resolves once listening.
 *
 * gRPC is framed here on Node's own HTTP/2 server, as the Node adapter serves HTTP/1.1 on
 * node:http: a call's message is read from the stream's chunks into memory reused from earlier
 * calls, and an answer's tensors are written as they are. @grpc/grpc-js copies every message
 * once more each way, and @connectrpc/connect-node decodes and encodes messages itself: both
 * cost far more per call (docs/grpc.md, "Why framed on node:http2").
 */
export async function serveGrpc(core: ServerCore, options: GrpcOptions): Promise<GrpcServer> {
  const { models, lifecycle, extensions } = core;
  const coreOptions = core.options;
  const routes = new RouteTable();
  addGrpcRoutes(routes, models, lifecycle, {
    decodeLimits: { ...DEFAULT_DECODE_LIMITS, ...coreOptions.decodeLimits },
    serverName: coreOptions.serverName ?? SERVER_NAME,
    extensions,
    repository: options.repository,
  });
  const calls = runRequests(
    { models, routes, lifecycle, extensions, budget: core.budget, traceRequest: traceGrpcCall },
    coreOptions,
  );
  const maxBytes = coreOptions.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  // The methods served, unary or streaming; the rest (shared memory, trace and log settings) answer UNIMPLEMENTED.
  const methods = new Map<string, 'unary' | 'stream'>();
  for (const service of [GRPCInferenceService, Health]) {
    for (const method of service.methods) {
      const path = methodPath(service, method);
      if (method.methodKind === 'bidi_streaming') methods.set(path, 'stream');
      else if (routes.match('POST', path)) methods.set(path, 'unary');
    }
  }
  const inferPath = methodPath(GRPCInferenceService, GRPCInferenceService.method.modelInfer);

  const onStream = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    // A stream's errors (a reset, a broken connection) end its call; unheard, they would end the process.
    stream.on('error', ignore);
    const path = headers[':path'] ?? '';
    if (headers[':method'] !== 'POST' || !isGrpcContentType(headers['content-type'])) {
      return notGrpc(stream, headers[':method'] !== 'POST' ? 405 : 415);
    }
    const kind = methods.get(path);
    if (kind === undefined) {
      return answerStatus(stream, {
        code: GrpcStatus.UNIMPLEMENTED,
        details: `${path} is not served here; see inference.GRPCInferenceService and grpc.health.v1.Health`,
        metadata: {},
      });
    }
    const deadline = callDeadline(headers);
    if (kind === 'stream') return streamInfer(calls, inferPath, stream, headers, deadline, maxBytes);
    readUnary(stream, headers, path, deadline, calls);
  };

  const settings = { initialWindowSize: RECEIVE_WINDOW };
  // Node refuses new calls on a connection whose HTTP/2 state passes this (MB; 10 by default),
  // which a few large answers being written reach: the byte budget bounds memory instead.
  const maxSessionMemory = Math.max(64, Math.ceil((2 * core.budget.max) / 2 ** 20));
  const server = options.tls
    ? createSecureServer({ settings, maxSessionMemory, key: options.tls.key, cert: options.tls.cert })
    : createServer({ settings, maxSessionMemory });
  const sessions = new Set<ServerHttp2Session>();
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // A connection's window as wide as a stream's: see RECEIVE_WINDOW.
    session.setLocalWindowSize(RECEIVE_WINDOW);
  });
  server.on('stream', onStream);
  server.on('sessionError', ignore);

  const host = options.host ?? '127.0.0.1';
  const address = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(bindFailed(address, err)));
    server.listen(options.port, host, () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', ignore);
  const port = (server.address() as { port: number }).port;
  let stopped: Promise<void> | undefined;
  return {
    url: `${options.tls ? 'grpcs' : 'grpc'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    listener: {
      // New connections are refused; open ones get GOAWAY and close once their calls are answered.
      stopAccepting: () => {
        stopped ??= new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const session of sessions) session.close();
        });
        return stopped;
      },
      closeAll: () => {
        for (const session of sessions) session.destroy();
        return stopped ?? Promise.resolve();
      },
    },
  };
}

/**
 * Bytes a caller may send on a connection, and on each call, before the server acknowledges
 * them: with Node's 64 KiB, a large request crawls in, one window per round trip through the
 * event loop. Calls are read as they arrive, so the window is not memory held.
 */
const RECEIVE_WINDOW = 64 * 1024 * 1024;

/**
 * A unary call: its message's prefix is read first, so that the call reaches the core with the
 * message's length known (see UnaryCall); the rest of the message follows as it arrives.
 */
function readUnary(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  path: string,
  deadline: number | undefined,
  calls: ServerCore,
): void {
  let call: UnaryCall | undefined;
  let refused = false;
  let prefix: PrefixReader | undefined;
  const begin = (bytes: Uint8Array, rest: Uint8Array) => {
    const encoding = headers['grpc-encoding'];
    let message: ReturnType<typeof readPrefix>;
    try {
      // The size limit is the core's, which refuses a message too large before reading it, and counts it.
      message = readPrefix(bytes, Number.POSITIVE_INFINITY, typeof encoding === 'string' ? encoding : undefined);
    } catch (err) {
      if (!isFailure(err)) throw err;
      refused = true;
      stream.off('data', onData);
      return answerStatus(stream, err);
    }
    call = new UnaryCall(path, stream, headers, deadline, message.length, message.coding);
    call.data(rest);
    void calls.handle(call);
  };
  const onData = (chunk: Uint8Array) => {
    if (call) return call.data(chunk);
    // Almost always the whole prefix comes in the first chunk, read there with nothing gathered.
    if (!prefix && chunk.length >= PREFIX_BYTES) {
      return begin(chunk.subarray(0, PREFIX_BYTES), chunk.subarray(PREFIX_BYTES));
    }
    prefix ??= new PrefixReader();
    const taken = prefix.take(chunk, 0);
    if (prefix.complete) begin(prefix.bytes, chunk.subarray(taken));
  };
  stream.on('data', onData);
  stream.once('end', () => {
    if (call) return call.end();
    if (refused) return;
    answerStatus(stream, {
      code: GrpcStatus.INVALID_ARGUMENT,
      details: prefix?.started
        ? 'the call ended in the middle of a message prefix'
        : 'the call ended without a request message',
      metadata: {},
    });
  });
}

/** A request that is not a gRPC call, answered as the specification says: an HTTP status. */
function notGrpc(stream: ServerHttp2Stream, status: number): void {
  stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8' });
  stream.end(
    status === 405
      ? 'this port serves gRPC: POST calls of content-type application/grpc\n'
      : 'this port serves gRPC: send content-type application/grpc\n',
  );
  // A body sent with it is not read: the caller is told to stop sending once the answer is out.
  if (!stream.readableEnded) stream.close(constants.NGHTTP2_NO_ERROR);
}

function ignore(): void {}

/** listen's error ("listen EADDRINUSE …") as one line that says what to do. */
function bindFailed(address: string, err: Error): Error {
  const why = /EADDRINUSE/.test(err.message) ? 'the port is in use' : err.message;
  return new Error(
    `gRPC cannot listen on ${address}: ${why}; choose another port (--grpc-port, or grpc.port), or 0 to turn gRPC off`,
    { cause: err },
  );
}
