/** Loads an ONNX model into onnxruntime sessions and wraps it as a GraphPipe backend. */
import { GraphPipeError } from '@graphpipe/protocol';
import { InferenceSession } from 'onnxruntime-node';
import { describeModel } from './metadata.js';
import { type ModelHeader, readModelHeader } from './model-header.js';
import { OnnxBackend } from './onnx-backend.js';
import {
  CUDA_HINT,
  type OnnxBackendOptions,
  concurrencyOf,
  runTimeoutOf,
  sessionOptions,
  workersOf,
} from './options.js';
import { inThreadRunner } from './runner.js';
import { startWorkers } from './worker-runner.js';

/** `source` is a path to a .onnx (or .ort) file, or the model's bytes. */
export async function createOnnxBackend(
  source: string | Uint8Array,
  options: OnnxBackendOptions = {},
): Promise<OnnxBackend> {
  const concurrency = concurrencyOf(options);
  const workers = workersOf(options);
  const runTimeoutMs = runTimeoutOf(options);
  const header = headerOf(source);
  const sessionOpts = sessionOptions(options);
  if (workers === 0) {
    const session = await loading(source, options, () => loadSession(source, sessionOpts));
    return new OnnxBackend(inThreadRunner(session), describeModel(session, header, source, options), concurrency);
  }
  // Only the workers load the model; the first to be ready describes its inputs and outputs.
  const { runner, io } = await loading(source, options, () =>
    startWorkers(source, sessionOpts, workers, { runTimeoutMs }),
  );
  return new OnnxBackend(runner, describeModel(io, header, source, options), concurrency);
}

/** The same error whichever thread failed to load the model; a missing CUDA provider says what to install. */
async function loading<T>(
  source: string | Uint8Array,
  options: OnnxBackendOptions,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const from = typeof source === 'string' ? source : `${source.byteLength} bytes`;
    const message = (err as Error).message ?? String(err);
    if (options.device === 'cuda' && /cuda|shared librar/i.test(message)) {
      throw new GraphPipeError(
        'UNAVAILABLE',
        `cannot load ONNX model (${from}): ${CUDA_HINT} (onnxruntime: ${message})`,
        {
          cause: err,
        },
      );
    }
    throw new GraphPipeError('INTERNAL', `cannot load ONNX model (${from}): ${message}`, { cause: err });
  }
}

function loadSession(source: string | Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession> {
  // Two calls, not one: the overloads take a path or bytes, never their union.
  return typeof source === 'string'
    ? InferenceSession.create(source, options)
    : InferenceSession.create(source, options);
}

/** Name, version and description are niceties: a model onnxruntime accepts must not fail over them. */
function headerOf(source: string | Uint8Array): ModelHeader {
  try {
    return readModelHeader(source);
  } catch {
    return { metadataProps: new Map() };
  }
}
