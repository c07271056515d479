/** Loads an ONNX model into an onnxruntime session and wraps it as a GraphPipe backend. */
import { GraphPipeError } from '@graphpipe/protocol';
import { InferenceSession } from 'onnxruntime-node';
import { describeModel } from './metadata.js';
import { type ModelHeader, readModelHeader } from './model-header.js';
import { OnnxBackend } from './onnx-backend.js';
import { type OnnxBackendOptions, concurrencyOf, sessionOptions, workersOf } from './options.js';
import { inThreadRunner } from './runner.js';
import { startWorkers } from './worker-runner.js';

/** `source` is a path to a .onnx (or .ort) file, or the model's bytes. */
export async function createOnnxBackend(
  source: string | Uint8Array,
  options: OnnxBackendOptions = {},
): Promise<OnnxBackend> {
  const concurrency = concurrencyOf(options);
  const workers = workersOf(options);
  let session: InferenceSession;
  try {
    // Two calls, not one: the overloads take a path or bytes, never their union.
    session =
      typeof source === 'string'
        ? await InferenceSession.create(source, sessionOptions(options))
        : await InferenceSession.create(source, sessionOptions(options));
  } catch (err) {
    const from = typeof source === 'string' ? source : `${source.byteLength} bytes`;
    throw new GraphPipeError('INTERNAL', `cannot load ONNX model (${from}): ${(err as Error).message ?? err}`, {
      cause: err,
    });
  }
  const model = describeModel(session, headerOf(source), source, options);
  if (workers === 0) return new OnnxBackend(inThreadRunner(session), model, concurrency);
  // This session was loaded for the metadata (and a clear load error); the workers load their own.
  await session.release();
  return new OnnxBackend(await startWorkers(source, sessionOptions(options), workers), model, concurrency);
}

/** Name, version and description are niceties: a model onnxruntime accepts must not fail over them. */
function headerOf(source: string | Uint8Array): ModelHeader {
  try {
    return readModelHeader(source);
  } catch {
    return { metadataProps: new Map() };
  }
}
