/** A GraphPipe Backend over an ONNX model, run on the calling thread or in workers (see Runner). */
import { GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Backend, InferContext, ModelMetadata } from '@graphpipe/server-core';
import type { Tensor as OrtTensor } from 'onnxruntime-node';
import { fetchOrder } from './fetch-outputs.js';
import type { ModelDescription, OnnxValueInfo } from './metadata.js';
import { runError } from './run-error.js';
import type { RunResults, Runner } from './runner.js';
import { fromOrtTensor, toOrtTensor } from './tensor-convert.js';

export class OnnxBackend implements Backend {
  readonly metadata: ModelMetadata;
  /** Every output GraphPipe can carry; the others are only described in the metadata. */
  readonly defaultOutputs: readonly string[];
  readonly concurrency: number;
  /** With worker threads, the server reads request bodies into shared memory for them. */
  readonly sharedInputs: boolean;
  readonly #runner: Runner;
  readonly #model: ModelDescription;
  #closed = false;

  constructor(runner: Runner, model: ModelDescription, concurrency: number) {
    this.#runner = runner;
    this.#model = model;
    this.metadata = model.metadata;
    this.defaultOutputs = [...model.outputs].filter(([, port]) => !port.unsupported).map(([name]) => name);
    this.concurrency = concurrency;
    this.sharedInputs = runner.offThread;
  }

  /**
   * A run cannot be interrupted once it starts: onnxruntime-node has no RunOptions.terminate. So
   * the signal counts only until the run begins (with workers: until a worker takes it).
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
    const feeds: Record<string, OrtTensor> = Object.create(null);
    for (const [name, tensor] of Object.entries(inputs)) {
      usable(this.#model.inputs, name, 'input');
      feeds[name] = toOrtTensor(tensor);
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
