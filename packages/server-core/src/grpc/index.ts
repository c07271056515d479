/**
 * The Open Inference Protocol over gRPC (Node only): `serve(…, { grpc: { port } })` starts it
 * beside HTTP; `serveGrpc` adds it to a core of your own. Framed on node:http2, with no other package.
 */

export type { GrpcServerHandle } from './handle.js';
export { addGrpcRoutes, type GrpcRouteOptions, methodPath } from './routes.js';
export { type GrpcOptions, type GrpcServer, serveGrpc } from './server.js';
