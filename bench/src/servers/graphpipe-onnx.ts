/** Our server over the ONNX backend: argv[2] is the model path, argv[3] optional serve() options as JSON. */
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { serve } from '@graphpipe/server-core/node';
import { keepAlive, runServer } from './harness.js';

runServer(async () => {
  const model = process.argv[2];
  if (!model) throw new Error('usage: graphpipe-onnx.ts <model.onnx>');
  const backend = await createOnnxBackend(model);
  const options = JSON.parse(process.argv[3] ?? '{}');
  const handle = await serve(backend, { port: 0, host: '127.0.0.1', logger: false, ...options });
  keepAlive(handle.server);
  return { url: handle.url, close: () => handle.close() };
});
