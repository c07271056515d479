/**
 * A Cloudflare Worker serving the Iris classifier: the model file and onnxruntime's WebAssembly are
 * modules of the Worker (Data and CompiledWasm), so nothing is fetched and nothing is compiled at
 * run time. The model loads on the first request and stays for the isolate's life.
 */
import { createOnnxWebBackend } from '@graphpipe/backend-onnx-web';
import { createGraphPipeApp } from '@graphpipe/server-core';
import wasmModule from 'onnxruntime-web/ort-wasm-simd-threaded.wasm';
import model from '../../../models/iris-classifier.onnx';

type FetchApp = { fetch(request: Request): Response | Promise<Response> };

let app: Promise<FetchApp> | undefined;

async function start(): Promise<FetchApp> {
  const backend = await createOnnxWebBackend(model, { wasmModule });
  // No process stdout here for the default logger; Workers log what the platform sees.
  return createGraphPipeApp(backend, { logger: false, maxBodyBytes: 1 * 2 ** 20 });
}

export default {
  async fetch(request: Request): Promise<Response> {
    app ??= start().catch((err: unknown) => {
      app = undefined; // the next request tries again
      throw err;
    });
    return (await app).fetch(request);
  },
};
