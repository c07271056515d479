import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { ServerOptions as TlsOptions } from 'node:https';
import { DEFAULT_DECODE_LIMITS } from '@graphpipe/protocol';
import { GRPCInferenceService, Health } from '@graphpipe/protocol/grpc';
import {
  type handleBidiStreamingCall,
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { DEFAULT_MAX_BODY_BYTES } from '../http/body.js';
import { runRequests, type ServerCore } from '../http/core.js';
import { RouteTable } from '../http/routes.js';
import { SERVER_NAME } from '../models/metadata.js';
import type { RepositoryAdmin } from '../protocols/repository-admin-routes.js';
import { traceGrpcCall } from '../tracing/grpc.js';
import { callDeadline, GrpcExchange } from './exchange.js';
import type { GrpcServerHandle } from './handle.js';
import { addGrpcRoutes, methodPath } from './routes.js';
import { streamInfer } from './stream.js';

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

/** The front door `serveGrpc` started, with grpc-js's own server. */
export interface GrpcServer extends GrpcServerHandle {
  readonly server: Server;
}

/**
 * Serves the core's models over gRPC on a port of its own, as Triton does: the same registry,
 * lifecycle (so a drain waits for calls too), byte budget, tokens, logs and metrics as the HTTP
 * front door, through a core of its own whose routes are the RPCs. Resolves once listening.
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

  const server = new Server({
    // The message limit is the HTTP body limit: a larger message is refused before it is buffered.
    'grpc.max_receive_message_length': coreOptions.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    'grpc.max_send_message_length': -1,
    // Channelz (gRPC's introspection service, which we do not serve) tracks every call: off, it costs nothing.
    'grpc.enable_channelz': 0,
  });
  const unary =
    (path: string): handleUnaryCall<Uint8Array, Uint8Array> =>
    (call: ServerUnaryCall<Uint8Array, Uint8Array>, callback) => {
      void calls.handle(
        new GrpcExchange(path, {
          request: call.request,
          metadata: call.metadata,
          deadline: callDeadline(call.getDeadline()),
          onCancel: (listener) => call.once('cancelled', listener),
          answer: (error, response) => (error ? callback(error) : callback(null, response)),
        }),
      );
    };
  for (const service of [GRPCInferenceService, Health]) {
    const implementation: UntypedServiceImplementation = {};
    const definition: Record<string, MethodDefinition> = {};
    for (const method of service.methods) {
      const path = methodPath(service, method);
      const streaming = method.methodKind === 'bidi_streaming';
      // Only what is served: the rest (shared memory, trace and log settings) answer UNIMPLEMENTED.
      if (!streaming && !routes.match('POST', path)) continue;
      definition[method.name] = methodDefinition(path, streaming);
      implementation[method.name] = streaming
        ? (streamInfer(calls, path) as handleBidiStreamingCall<Uint8Array, Uint8Array>)
        : unary(path);
    }
    server.addService(definition, implementation);
  }

  const host = options.host ?? '127.0.0.1';
  const credentials = options.tls
    ? ServerCredentials.createSsl(null, [
        { private_key: Buffer.from(options.tls.key as string), cert_chain: Buffer.from(options.tls.cert as string) },
      ])
    : ServerCredentials.createInsecure();
  const address = host.includes(':') ? `[${host}]:${options.port}` : `${host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (err, bound) => (err ? reject(bindFailed(address, err)) : resolve(bound))),
  );
  widenWindows(server);
  let stopped: Promise<void> | undefined;
  return {
    url: `${options.tls ? 'grpcs' : 'grpc'}://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    listener: {
      // New connections are refused; open ones get GOAWAY and close once their calls are answered.
      stopAccepting: () => {
        stopped ??= new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        return stopped;
      },
      closeAll: () => {
        server.forceShutdown();
        return stopped ?? Promise.resolve();
      },
    },
  };
}

/** Bytes a caller may send on a connection, and on each call, before the server acknowledges them. */
const RECEIVE_WINDOW = 64 * 1024 * 1024;

/**
 * Widens HTTP/2's receive windows from Node's 64 KiB: with them, a large request crawls in, one
 * window per round trip through the event loop. grpc-js has a client option for this but no
 * server one, so the windows are set on each connection as it opens, through the HTTP/2 servers
 * grpc-js keeps (a private field: without it, the windows stay as they were).
 */
function widenWindows(server: Server): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<Http2Server, unknown> }).http2Servers;
  for (const http2 of http2Servers?.keys() ?? []) {
    http2.on('session', (session: ServerHttp2Session) => {
      session.settings({ initialWindowSize: RECEIVE_WINDOW });
      session.setLocalWindowSize(RECEIVE_WINDOW);
    });
  }
}

/** What grpc-js needs of a method; messages pass as bytes, which the routes decode and encode. */
interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: Uint8Array) => Buffer;
  requestDeserialize: (bytes: Buffer) => Uint8Array;
  responseSerialize: (value: Uint8Array) => Buffer;
  responseDeserialize: (bytes: Buffer) => Uint8Array;
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const same = (bytes: Buffer): Uint8Array => bytes;

function methodDefinition(path: string, streaming: boolean): MethodDefinition {
  return {
    path,
    requestStream: streaming,
    responseStream: streaming,
    requestSerialize: asBuffer,
    requestDeserialize: same,
    responseSerialize: asBuffer,
    responseDeserialize: same,
  };
}

/** grpc-js says "No address added out of total 1 resolved errors: [listen EADDRINUSE …]": one line that says what to do. */
function bindFailed(address: string, err: Error): Error {
  const why = /EADDRINUSE/.test(err.message) ? 'the port is in use' : err.message;
  return new Error(
    `gRPC cannot listen on ${address}: ${why}; choose another port (--grpc-port, or grpc.port), or 0 to turn gRPC off`,
    { cause: err },
  );
}
