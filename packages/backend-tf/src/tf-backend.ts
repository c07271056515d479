/** A GraphPipe Backend over a TF.js layers model, graph model, or (with native TensorFlow) a SavedModel. */
import { basename, dirname } from 'node:path';
import { statSync } from 'node:fs';
import { GraphPipeError, type Tensor } from '@graphpipe/protocol';
import type { Backend, TensorSpec, ModelMetadata } from '@graphpipe/server-core';
import type { NamedTensorMap, Tensor as TfTensor } from '@tensorflow/tfjs';
import { fromTf, graphPipeDType, tfDTypeFor, toTf } from './dtypes.js';
import type { Engine, EngineChoice, Importer } from './engine.js';
import type { ModelFormat, TfTensorSpec } from './loaded-model.js';
import { loadModel } from './model.js';
import { processEngine } from './process-engine.js';
import type { SavedModelOptions } from './saved-model.js';
import { declaredName, inputNamed, otherForms } from './tensor-names.js';
import { checkInput, checkOutputs } from './validate.js';

export interface TfBackendOptions {
  /**
   * Which engine to run on. Default 'auto': native TensorFlow if installed, else wasm, else cpu. The first
   * backend in a process fixes its engine; a later one asking for another is refused (see the README).
   */
  readonly engine?: EngineChoice;
  /**
   * 'cuda' requires native TensorFlow with CUDA (@tensorflow/tfjs-node-gpu) and fails, saying what
   * to install, without it; 'cpu' (or unset) takes the engine as `engine` says.
   */
  readonly device?: 'cpu' | 'cuda';
  /** Model name in the metadata. Default: the model directory's name. */
  readonly name?: string;
  readonly version?: string;
  /** Default: the model format and the engine in use. */
  readonly description?: string;
  /** Which MetaGraph and signature of a SavedModel to serve. */
  readonly savedModel?: SavedModelOptions;
  /** How engine packages are imported (by the call that selects the process's engine); tests replace it. */
  readonly importer?: Importer;
  /** Told about each load-time warning (see `TfBackend.warnings`). Default: `process.emitWarning`. */
  readonly onWarning?: (message: string) => void;
}

export interface TfBackend extends Backend {
  /** The engine in use; log `engine.description` at startup. */
  readonly engine: Engine;
  readonly format: ModelFormat;
  /** What loading noticed, one line each: inputs and outputs the model declares no dtype or shape for. */
  readonly warnings: readonly string[];
}

const GPU_HINT =
  "device 'cuda' needs native TensorFlow with CUDA: npm install @tensorflow/tfjs-node-gpu (with CUDA and cuDNN on the machine)";

/** The process's engine, and for device 'cuda' nothing but native TensorFlow with CUDA. */
async function engineFor(options: TfBackendOptions): Promise<Engine> {
  if (options.device !== 'cuda') return processEngine(options.engine, options.importer);
  let engine: Engine;
  try {
    engine = await processEngine('native', options.importer);
  } catch (err) {
    throw new GraphPipeError('UNAVAILABLE', `${GPU_HINT} (${(err as Error).message})`, { cause: err });
  }
  if (engine.kind !== 'native-gpu') {
    throw new GraphPipeError('UNAVAILABLE', `${GPU_HINT}; this process runs TF.js on ${engine.description}`);
  }
  return engine;
}

/** The Open Inference Protocol's platform names (Triton's, for a SavedModel). */
const PLATFORMS: Readonly<Record<ModelFormat, string>> = {
  'layers-model': 'tensorflowjs_layers',
  'graph-model': 'tensorflowjs_graph',
  'saved-model': 'tensorflow_savedmodel',
};

/** Loads the model at `path` (a model directory, or a model.json file) and serves it. */
export async function createTfBackend(path: string, options: TfBackendOptions = {}): Promise<TfBackend> {
  const engine = await engineFor(options);
  const model = await loadModel(path, engine, options);
  const { tf } = engine;
  const inputs = model.inputs.map((io) => toSpec(io, 'input'));
  const outputs = model.outputs.map((io) => toSpec(io, 'output'));
  const warnings = [
    ...model.inputs.map((io) => undeclared(io, 'input')),
    ...model.outputs.map((io) => undeclared(io, 'output')),
  ].filter((w) => w !== undefined);
  const outputNameSet = new Set(outputs.map((io) => io.name));
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'GraphPipeWarning'));
  for (const message of warnings) warn(message);
  const metadata: ModelMetadata = {
    name: options.name ?? basename(statSync(path).isFile() ? dirname(path) : path),
    version: options.version,
    description: options.description ?? `TensorFlow.js ${model.format} on ${engine.description}`,
    platform: PLATFORMS[model.format],
    inputs,
    outputs,
  };

  return {
    metadata,
    engine,
    format: model.format,
    warnings,
    aliases: otherForms([...inputs, ...outputs].map((io) => io.name)),
    // TF.js runs kernels on the JS thread (native ones block it too): parallel requests only queue up inside.
    concurrency: 1,
    async infer(request, outputNames, { signal }) {
      if (signal.aborted) throw new GraphPipeError('ABORTED', 'the request was aborted before inference started');
      // `x:0` for `x` and the other way round (tensor-names.ts); answers keep the names asked for.
      const wanted = outputNames.map((name) => declaredName(name, outputNameSet));
      checkOutputs(outputs, wanted);
      // Keyed by the model's tensor names, which a graph model's signature may choose freely: without a
      // prototype, "__proto__" is a key like any other (and its tensor is disposed with the rest).
      const feeds: NamedTensorMap = Object.create(null);
      let results: TfTensor[] = [];
      try {
        inputs.forEach((spec, i) => {
          const t = checkInput(spec, inputNamed(request, spec.name));
          feeds[spec.name] = toTf(tf, t, model.inputs[i]!.dtype ?? requestDType(t, spec.name));
        });
        results = await model.run(feeds, wanted);
        const answer: [string, Tensor][] = [];
        for (let i = 0; i < outputNames.length; i++) answer.push([outputNames[i]!, await fromTf(results[i]!)]);
        return Object.fromEntries(answer);
      } finally {
        // Everything this request created, whatever happened; the model's weights stay.
        tf.dispose([...Object.values(feeds), ...results]);
      }
    },
    async close() {
      model.dispose();
    },
  };
}

function toSpec(io: TfTensorSpec, what: 'input' | 'output'): TensorSpec {
  const dtype = io.dtype && graphPipeDType(io.dtype, `${what} "${io.name}"`);
  const note = unknownNote(io);
  // The wire leaves an undeclared dtype or shape out (GraphPipe type 0 and no shape; v2 "ANY" and [-1]); the
  // description says it in words, because the original clients read a missing shape as [], a scalar.
  return note
    ? { name: io.name, description: note, dtype, shape: io.shape }
    : { name: io.name, dtype, shape: io.shape };
}

/** "dtype unknown", "shape unknown" or both for what the model leaves undeclared; undefined when it declares both. */
function unknownNote(io: TfTensorSpec): string | undefined {
  const parts = [...(io.dtype ? [] : ['dtype unknown']), ...(io.shape ? [] : ['shape unknown'])];
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** The load-time warning for an input or output the model declares no dtype or shape for. */
function undeclared(io: TfTensorSpec, what: 'input' | 'output'): string | undefined {
  const note = unknownNote(io);
  return (
    note && `${what} "${io.name}" is listed as "${note}": the model does not declare these (its answers still say)`
  );
}

/** An input the model declares without a dtype takes whatever TF.js can hold. */
function requestDType(t: Tensor, name: string) {
  const dtype = tfDTypeFor(t.dtype);
  if (!dtype)
    throw new GraphPipeError('INVALID_ARGUMENT', `input "${name}" cannot be ${t.dtype}; send float32, int32 or string`);
  return dtype;
}
