import { checkModelName, isTensor, type Tensor, toModelName } from '@graphpipe/protocol';
import type { Backend, InferContext, ModelMetadata, TensorSpec } from '../backend.js';
import { isThenable } from '../settles.js';

export interface FunctionContext extends InferContext {
  /** The outputs the caller asked for, in order. */
  readonly outputNames: readonly string[];
}

/** One tensor (the first requested output), tensors in requested order, or tensors by name. */
export type FunctionResult = Tensor | readonly Tensor[] | Readonly<Record<string, Tensor>>;

export type InferFunction = (
  inputs: Readonly<Record<string, Tensor>>,
  context: FunctionContext,
) => FunctionResult | Promise<FunctionResult>;

export interface FunctionBackendOptions {
  name?: string;
  version?: string;
  description?: string;
  /** Declared inputs. Default: one input "input0" of any dtype and shape. */
  inputs?: readonly TensorSpec[];
  /** Declared outputs. Default: one output "output0". */
  outputs?: readonly TensorSpec[];
  /** How many calls may run at once. Default 4 (async functions may overlap). */
  concurrency?: number;
  /** Class names, in class order (see ModelMetadata). */
  labels?: readonly string[];
  /** Inputs to try the model with, by input name (see ModelMetadata). */
  examples?: Readonly<Record<string, Tensor>>;
}

/** Serves a plain function as a model, as the original Go server's `Serve` did. */
export function createFunctionBackend(fn: InferFunction, options: FunctionBackendOptions = {}): Backend {
  const metadata: ModelMetadata = {
    // A name given is checked now; a function's own name (`bound f`, say) is made into one.
    name: options.name === undefined ? toModelName(fn.name || 'function') : checkModelName(options.name),
    version: options.version,
    description: options.description,
    inputs: options.inputs ?? [{ name: 'input0' }],
    outputs: options.outputs ?? [{ name: 'output0' }],
    ...(options.labels ? { labels: options.labels } : {}),
    ...(options.examples ? { examples: options.examples } : {}),
  };
  return {
    metadata,
    concurrency: options.concurrency ?? 4,
    infer(inputs, outputNames, run) {
      try {
        const result = fn(inputs, new FunctionCall(outputNames, run));
        // A function that answers at once costs no await; any thenable is awaited, as before.
        if (!isThenable(result)) return Promise.resolve(byName(result, outputNames));
        return Promise.resolve(result).then((r) => byName(r, outputNames));
      } catch (err) {
        return Promise.reject(err);
      }
    },
  };
}

class FunctionCall implements FunctionContext {
  constructor(
    readonly outputNames: readonly string[],
    private readonly run: InferContext,
  ) {}

  get config(): string {
    return this.run.config;
  }

  // A getter: the signal is only made if the function reads it.
  get signal(): AbortSignal {
    return this.run.signal;
  }

  get deadline(): number | undefined {
    return this.run.deadline;
  }
}

function byName(result: FunctionResult, outputNames: readonly string[]): Readonly<Record<string, Tensor>> {
  if (isTensor(result)) return { [outputNames[0]!]: result };
  if (Array.isArray(result)) return Object.fromEntries(outputNames.map((name, i) => [name, result[i]]));
  // Its own keys in an object without a prototype: outputs are looked up by name, and an answer
  // that leaves out an output called "constructor" must not seem to hold Object's.
  return Object.assign(Object.create(null), result) as Readonly<Record<string, Tensor>>;
}
