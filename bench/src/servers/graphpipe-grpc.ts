/** Our server (serve() from server-core/node) with an identity function backend, over gRPC: its URL is the gRPC port's. */
import { createFunctionBackend } from '@graphpipe/server-core';
import { serve } from '@graphpipe/server-core/node';
import { keepAlive, runServer } from './harness.js';

runServer(async () => {
  const backend = createFunctionBackend((inputs) => inputs.input0!, { name: 'identity' });
  const handle = await serve(backend, { port: 0, host: '127.0.0.1', logger: false, grpc: { port: 0 } });
  keepAlive(handle.server);
  return { url: handle.grpc!.url, close: () => handle.close() };
});
