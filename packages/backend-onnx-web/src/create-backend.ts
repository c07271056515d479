/** Loads an ONNX model into an onnxruntime-web (WebAssembly) session and wraps it as a GraphPipe backend. */
import {
  bytesSource,
  checkedConcurrency,
  describeModel,
  loadError,
  type NameOverrides,
  OnnxBackend,
  modelHeaderOr,
  parseModelHeader,
  resultsByName,
  type Runner,
} from '@graphpipe/onnx-common';
import { env, InferenceSession, Tensor as OrtTensor } from 'onnxruntime-web/wasm';
import { startingWith } from './compiled-wasm.js';

export interface OnnxWebBackendOptions extends NameOverrides {
  /**
   * onnxruntime-web's WebAssembly, compiled by the host: where compiling from bytes is not allowed
   * (Cloudflare Workers: `import wasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm'`). Without
   * it, onnxruntime-web loads `ort-wasm-simd-threaded.wasm` from beside its own module.
   */
  wasmModule?: WebAssembly.Module;
  /**
   * WebAssembly threads for the runtime; set once, by the first backend made. Default 1: more need
   * workers and shared memory (a cross-origin isolated page, Node, Deno), which Workers do not have.
   */
  threads?: number;
  /** Graph rewrites at load time. Default 'all'. */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /** How many inferences the server lets run at once. Default 1: a run holds the JavaScript thread. */
  concurrency?: number;
}

export type OnnxWebBackend = OnnxBackend<OrtTensor>;

/** The runtime starts once per isolate, with the options of the first backend made. */
let started: Promise<unknown> | undefined;

/** `model`: the .onnx (or .ort) file's bytes; there is no file system to read a path from at the edge. */
export async function createOnnxWebBackend(
  model: Uint8Array | ArrayBuffer,
  options: OnnxWebBackendOptions = {},
): Promise<OnnxWebBackend> {
  const bytes = model instanceof Uint8Array ? model : new Uint8Array(model);
  const concurrency = checkedConcurrency(options.concurrency ?? 1);
  const session = await loading(bytes, () => loadSession(bytes, options));
  const header = modelHeaderOr(() => parseModelHeader(bytesSource(bytes)));
  const description = describeModel(session, header, 'onnx-model', options);
  return new OnnxBackend(sessionRunner(session), description, concurrency, OrtTensor);
}

async function loadSession(bytes: Uint8Array, options: OnnxWebBackendOptions): Promise<InferenceSession> {
  const create = () =>
    InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    });
  if (!started) {
    env.wasm.numThreads = options.threads ?? 1;
    // Its own copy of a failed run's message would only repeat the error the caller gets.
    env.logLevel = 'error';
    const first = options.wasmModule ? startingWith(options.wasmModule, create) : create();
    started = first.catch(() => {
      started = undefined;
    });
    return first;
  }
  await started;
  return create();
}

function sessionRunner(session: InferenceSession): Runner<OrtTensor> {
  return {
    offThread: false,
    async run(feeds, fetched) {
      try {
        return resultsByName(await session.run(feeds, fetched), fetched, session.outputNames);
      } catch (err) {
        throw withoutWasmPrefix(err);
      }
    },
    close: () => session.release(),
  };
}

/** onnxruntime-web prefixes onnxruntime's message; without it, the shared runError reads it as onnxruntime-node's. */
function withoutWasmPrefix(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const message = err.message.replace(/^failed to call OrtRun\(\)\. ERROR_CODE: \d+, ERROR_MESSAGE: /, '');
  return message === err.message ? err : new Error(message, { cause: err });
}

async function loading<T>(bytes: Uint8Array, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    throw loadError(`${bytes.byteLength} bytes`, err);
  }
}
