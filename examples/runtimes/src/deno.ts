/** Serves an ONNX model with Deno.serve: `deno run -A src/deno.ts model.onnx [--port N]`. */
import { createOnnxBackend } from '@graphpipe/backend-onnx';
import { serve } from '@graphpipe/server-core/deno';
import { serveArguments } from './options.ts';

const { model, options } = serveArguments(process.argv.slice(2));
const server = await serve(await createOnnxBackend(model), options);
console.log(`serving ${server.core.models.served()[0]?.name} on ${server.url}`);
