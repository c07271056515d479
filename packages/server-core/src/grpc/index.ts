/**
 * The Open Inference Protocol over gRPC (Node only): `serve(…, { grpc: { port } })` starts it
 * beside HTTP; `serveGrpc` adds it to a core of your own. Needs `@grpc/grpc-js`.
 */
export { addGrpcRoutes, type GrpcRouteOptions, methodPath } from './routes.js';
export { type GrpcOptions, type GrpcServerHandle, serveGrpc } from './server.js';
