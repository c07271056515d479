// @ts-check
/**
 * A user's first program, run from a project that installed the packed packages and nothing
 * else: serve an ONNX model, call it with the client, print what came back as one JSON line.
 * It touches every export the packages declare, so a file left out of a package fails here.
 *
 *     node serve-iris.mjs path/to/iris-classifier.onnx
 */
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { RemoteModel } from '@graphpipe/client';
import { tensor } from '@graphpipe/protocol';
import { datatypeOf } from '@graphpipe/protocol/v2';
import { createGraphPipeApp } from '@graphpipe/server-core';
import { serve as serveOnBun } from '@graphpipe/server-core/bun';
import { serve as serveOnDeno } from '@graphpipe/server-core/deno';
import { serve } from '@graphpipe/server-core/node';
import { backendConformanceCases } from '@graphpipe/server-core/testing';

const modelPath = process.argv[2];
if (!modelPath) throw new Error('usage: node serve-iris.mjs <model.onnx>');

// One worker thread, so the worker's own script has to be in the package too.
const backend = await createOnnxBackend(modelPath, { workers: 1 });
const server = await serve(backend, { port: 0, logger: false });
try {
  const model = new RemoteModel(server.url);
  const features = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]), [2, 4]);
  const { byName } = await model.infer({ features });
  const label = byName.label;
  if (!label) throw new Error(`no label among the outputs: ${Object.keys(byName).join(', ')}`);
  // The same model over the Open Inference Protocol, on the same port.
  const v2 = await new RemoteModel(`${server.url}/v2/models/${backend.metadata.name}`).infer({ features });
  console.log(
    JSON.stringify({
      name: (await model.metadata()).name,
      labels: Array.from(/** @type {BigInt64Array} */ (label.data), Number),
      v2Labels: Array.from(/** @type {BigInt64Array} */ (v2.byName.label?.data ?? []), Number),
      v2Datatype: datatypeOf(label.dtype),
      webApp: typeof createGraphPipeApp(backend).fetch,
      // The playground page comes from @graphpipe/playground, loaded on the first request for it.
      page: (await fetch(server.url, { headers: { accept: 'text/html' } })).headers.get('content-type'),
      conformanceCases: backendConformanceCases(async () => backend).length,
      // On Node, the Bun and Deno entry points load, and say what they need.
      otherRuntimes: await Promise.all(
        [serveOnBun, serveOnDeno].map((serveOn) => serveOn(backend, { logger: false }).catch((e) => e.message)),
      ),
    }),
  );
} finally {
  await server.close();
}
