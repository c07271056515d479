/** A GraphPipe Backend over an ONNX model, whichever onnxruntime runs it and wherever (see Runner). */
import { GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Backend, InferContext, ModelMetadata } from '@graphpipe/server-core';
import { fetchOrder } from './fetch-outputs.js';
import type { ModelDescription, OnnxValueInfo } from './metadata.js';
import type { OrtOutput, OrtTensorConstructor, OrtTensorLike } from './ort-types.js';
import { runError } from './run-error.js';
import { fromOrtTensor, toOrtTensor } from './tensor-convert.js';

/** The outputs of one run, keyed by the names fetched. */
export type RunResults = Readonly<Record<string, OrtOutput>>;

/** Where the backend's runs happen: a session on the calling thread, or sessions in workers. */
export interface Runner<T extends OrtTensorLike = OrtTensorLike> {
  /** Runs happen on other threads, where inputs in shared memory arrive without a copy. */
  readonly offThread: boolean;
  /**
   * `fetched` in the model's output order (see fetchOrder). Rejects with onnxruntime's error as
   * is, or with a GraphPipeError when the run never reached it.
   */
  run(feeds: Readonly<Record<string, T>>, fetched: readonly string[], signal: AbortSignal): Promise<RunResults>;
  close(): Promise<void>;
}

export class OnnxBackend<T extends OrtTensorLike = OrtTensorLike> implements Backend {
  readonly metadata: ModelMetadata;
  /** Every output GraphPipe can carry; the others are only described in the metadata. */
  readonly defaultOutputs: readonly string[];
  readonly concurrency: number;
  /** With worker threads, the server reads request bodies into shared memory for them. */
  readonly sharedInputs: boolean;
  readonly #runner: Runner<T>;
  readonly #model: ModelDescription;
  readonly #OrtTensor: OrtTensorConstructor<T>;
  #closed = false;

  /** `OrtTensor`: the runtime's own Tensor class, which makes the feeds. */
  constructor(runner: Runner<T>, model: ModelDescription, concurrency: number, OrtTensor: OrtTensorConstructor<T>) {
    this.#runner = runner;
    this.#OrtTensor = OrtTensor;
    this.#model = model;
    this.metadata = model.metadata;
    this.defaultOutputs = [...model.outputs].filter(([, port]) => !port.unsupported).map(([name]) => name);
    this.concurrency = concurrency;
    this.sharedInputs = runner.offThread;
  }

  /**
   * A run is not interrupted once it starts (onnxruntime-node has no RunOptions.terminate), so the
   * signal counts only until the run begins (with workers: until a worker takes it, except that a
   * run whose request's deadline passes is abandoned and its worker replaced).
   */
  async infer(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    { signal }: InferContext,
  ): Promise<Readonly<Record<string, Tensor>>> {
    if (this.#closed) throw new GraphPipeError('UNAVAILABLE', 'the ONNX model has been closed');
    if (signal.aborted)
      throw new GraphPipeError('ABORTED', 'the request was aborted before inference began', { cause: signal.reason });
    // Keyed by the model's input names, which may be any string: "__proto__" must stay a key, and
    // onnxruntime's check for a missing "constructor" must not find Object's.
    const feeds: Record<string, T> = Object.create(null);
    for (const [name, tensor] of Object.entries(inputs)) {
      usable(this.#model.inputs, name, 'input');
      feeds[name] = toOrtTensor(this.#OrtTensor, tensor, name);
    }
    const wanted = outputNames.length > 0 ? outputNames : this.defaultOutputs;
    const ports = wanted.map((name) => usable(this.#model.outputs, name, 'output'));
    const fetched = fetchOrder([...this.#model.outputs.keys()], wanted);
    let results: RunResults;
    try {
      results = await this.#runner.run(feeds, fetched, signal);
    } catch (err) {
      throw err instanceof GraphPipeError ? err : runError(err);
    }
    return Object.fromEntries(
      ports.map(({ spec }) => [spec.name, fromOrtTensor(results[spec.name]!, spec.dtype!)] as const),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#runner.close();
  }
}

/** The port called `name`, or INVALID_ARGUMENT when there is none or GraphPipe cannot carry it. */
function usable(ports: ReadonlyMap<string, OnnxValueInfo>, name: string, role: 'input' | 'output'): OnnxValueInfo {
  const port = ports.get(name);
  if (!port) throw new GraphPipeError('INVALID_ARGUMENT', `the model has no ${role} "${name}"`);
  if (port.unsupported) throw new GraphPipeError('INVALID_ARGUMENT', port.unsupported);
  return port;
}
