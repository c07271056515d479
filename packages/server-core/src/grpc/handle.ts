import type { Listener } from '../runtimes/runtime-serve.js';

/**
 * A running gRPC front door, as Node's `serve()` hands it back. Declared apart from the server,
 * which loads node:http2 and the protobuf messages only when gRPC is asked for.
 */
export interface GrpcServerHandle {
  /** grpc://host:port, or grpcs:// with TLS. */
  readonly url: string;
  readonly port: number;
  /** How the graceful shutdown stops it (see gracefulClose): in-flight calls finish, then it closes. */
  readonly listener: Pick<Listener, 'stopAccepting' | 'closeAll'>;
}
