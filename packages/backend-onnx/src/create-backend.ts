/** Loads an ONNX model into onnxruntime sessions and wraps it as a GraphPipe backend. */
import { basename, extname } from 'node:path';
import { describeModel, loadError, modelHeaderOr, OnnxBackend } from '@graphpipe/onnx-common';
import { GraphPipeError } from '@graphpipe/protocol';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { readModelHeader } from './model-header.js';
import {
  CUDA_HINT,
  concurrencyOf,
  type OnnxBackendOptions,
  runTimeoutOf,
  sessionOptions,
  workersOf,
} from './options.js';
import { inThreadRunner } from './runner.js';
import { startWorkers } from './workers/worker-runner.js';

/** `source` is a path to a .onnx (or .ort) file, or the model's bytes. */
export async function createOnnxBackend(
  source: string | Uint8Array,
  options: OnnxBackendOptions = {},
): Promise<OnnxBackend<OrtTensor>> {
  const concurrency = concurrencyOf(options);
  const workers = workersOf(options);
  const runTimeoutMs = runTimeoutOf(options);
  const header = modelHeaderOr(() => readModelHeader(source));
  const fallbackName = typeof source === 'string' ? basename(source, extname(source)) : 'onnx-model';
  const sessionOpts = sessionOptions(options);
  if (workers === 0) {
    const session = await loading(source, sessionOpts, () => loadSession(source, sessionOpts));
    const model = describeModel(session, header, fallbackName, options);
    return new OnnxBackend(inThreadRunner(session), model, concurrency, OrtTensor);
  }
  // Only the workers load the model; the first to be ready describes its inputs and outputs.
  const { runner, io } = await loading(source, sessionOpts, () =>
    startWorkers(source, sessionOpts, workers, { runTimeoutMs }),
  );
  return new OnnxBackend(runner, describeModel(io, header, fallbackName, options), concurrency, OrtTensor);
}

/** The same error whichever thread failed to load the model; a missing CUDA provider says what to install. */
async function loading<T>(
  source: string | Uint8Array,
  sessionOpts: InferenceSession.SessionOptions,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const from = typeof source === 'string' ? source : `${source.byteLength} bytes`;
    const message = (err as Error).message ?? String(err);
    if (usesCuda(sessionOpts) && /cuda|shared librar/i.test(message)) {
      throw new GraphPipeError(
        'UNAVAILABLE',
        `cannot load ONNX model (${from}): ${CUDA_HINT} (onnxruntime: ${message})`,
        {
          cause: err,
        },
      );
    }
    throw loadError(from, err);
  }
}

/** Whether the providers asked for (from `device` or `executionProviders`, which overrides it) include CUDA. */
function usesCuda(sessionOpts: InferenceSession.SessionOptions): boolean {
  return (sessionOpts.executionProviders ?? []).some((p) => (typeof p === 'string' ? p : p.name) === 'cuda');
}

function loadSession(source: string | Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession> {
  // Two calls, not one: the overloads take a path or bytes, never their union.
  return typeof source === 'string'
    ? InferenceSession.create(source, options)
    : InferenceSession.create(source, options);
}
