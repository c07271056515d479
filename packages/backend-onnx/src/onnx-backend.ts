/** A GraphPipe Backend over one onnxruntime InferenceSession. */
import { GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Backend, InferOptions, ModelMetadata } from '@graphpipe/server-core';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { fetchOrder, resultsByName } from './fetch-outputs.js';
import type { ModelDescription, Port } from './metadata.js';
import { runError } from './run-error.js';
import { fromOrtTensor, toOrtTensor } from './tensor-convert.js';

// A failed run reaches the caller (and the server's log) as a GraphPipeError; onnxruntime's own
// copy of it on stderr would only repeat it, once per bad request.
const RUN_OPTIONS: InferenceSession.RunOptions = { logSeverityLevel: 4 };

export class OnnxBackend implements Backend {
  readonly metadata: ModelMetadata;
  /** Every output GraphPipe can carry; the others are only described in the metadata. */
  readonly defaultOutputs: readonly string[];
  readonly concurrency: number;
  readonly #session: InferenceSession;
  readonly #model: ModelDescription;
  #closed = false;

  constructor(session: InferenceSession, model: ModelDescription, concurrency: number) {
    this.#session = session;
    this.#model = model;
    this.metadata = model.metadata;
    this.defaultOutputs = [...model.outputs].filter(([, port]) => !port.unsupported).map(([name]) => name);
    this.concurrency = concurrency;
  }

  /**
   * A run cannot be interrupted once it starts: onnxruntime-node has no RunOptions.terminate and
   * runs the session synchronously. So the signal is checked only before the run begins.
   */
  async infer(
    inputs: Readonly<Record<string, Tensor>>,
    outputNames: readonly string[],
    { signal }: InferOptions,
  ): Promise<Readonly<Record<string, Tensor>>> {
    if (this.#closed) throw new GraphPipeError('UNAVAILABLE', 'the ONNX model has been closed');
    if (signal.aborted) throw new GraphPipeError('ABORTED', 'the request was aborted before inference began', { cause: signal.reason });
    const feeds: Record<string, OrtTensor> = {};
    for (const [name, tensor] of Object.entries(inputs)) {
      usable(this.#model.inputs, name, 'input');
      feeds[name] = toOrtTensor(tensor);
    }
    const wanted = outputNames.length > 0 ? outputNames : this.defaultOutputs;
    const ports = wanted.map((name) => usable(this.#model.outputs, name, 'output'));
    const fetched = fetchOrder(this.#session.outputNames, wanted);
    let results: InferenceSession.OnnxValueMapType;
    try {
      results = resultsByName(await this.#session.run(feeds, fetched, RUN_OPTIONS), fetched, this.#session.outputNames);
    } catch (err) {
      throw runError(err);
    }
    const out: Record<string, Tensor> = {};
    for (const port of ports) out[port.spec.name] = fromOrtTensor(results[port.spec.name] as OrtTensor, port.spec.dtype!);
    return out;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.release();
  }
}

/** The port called `name`, or INVALID_ARGUMENT when there is none or GraphPipe cannot carry it. */
function usable(ports: ReadonlyMap<string, Port>, name: string, role: 'input' | 'output'): Port {
  const port = ports.get(name);
  if (!port) throw new GraphPipeError('INVALID_ARGUMENT', `the model has no ${role} "${name}"`);
  if (port.unsupported) throw new GraphPipeError('INVALID_ARGUMENT', port.unsupported);
  return port;
}
