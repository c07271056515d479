import { GraphPipeError, type InferRequest, type Tensor } from '@graphpipe/protocol';
import type { Backend, TensorSpec } from '../backend.js';

/** A backend's declaration, indexed once so each request resolves names by lookup. */
export interface ModelSignature {
  readonly inputs: ReadonlyMap<string, TensorSpec>;
  readonly outputs: ReadonlyMap<string, TensorSpec>;
  readonly defaultInputs: readonly string[];
  readonly defaultOutputs: readonly string[];
  /** Other names requests may use, each to its declared name (`Backend.aliases`). */
  readonly aliases: ReadonlyMap<string, string>;
}

export function signatureOf(backend: Backend): ModelSignature {
  const { inputs, outputs } = backend.metadata;
  const signature: ModelSignature = {
    inputs: new Map(inputs.map((io) => [io.name, io])),
    outputs: new Map(outputs.map((io) => [io.name, io])),
    defaultInputs: backend.defaultInputs ?? inputs.map((io) => io.name),
    defaultOutputs: backend.defaultOutputs ?? outputs.map((io) => io.name),
    aliases: new Map(Object.entries(backend.aliases ?? {})),
  };
  for (const [alias, name] of signature.aliases) {
    if (signature.inputs.has(alias) || signature.outputs.has(alias))
      throw new TypeError(`alias "${alias}" is itself a declared input or output`);
    if (!signature.inputs.has(name) && !signature.outputs.has(name))
      throw new TypeError(`alias "${alias}" names "${name}", which is not among the model's inputs or outputs`);
  }
  for (const name of signature.defaultInputs)
    if (!signature.inputs.has(name)) throw new TypeError(`default input "${name}" is not among the model's inputs`);
  for (const name of signature.defaultOutputs)
    if (!signature.outputs.has(name)) throw new TypeError(`default output "${name}" is not among the model's outputs`);
  return signature;
}

export interface ResolvedRequest {
  readonly inputs: Record<string, Tensor>;
  /** The outputs to compute, by declared name. */
  readonly outputNames: readonly string[];
  /** The same outputs as the caller named them (aliases kept): what answers call them. */
  readonly answerNames: readonly string[];
}

/**
 * Applies GraphPipe's naming rules and checks every input against the model's declaration,
 * so a backend only ever sees inputs it declared, with the dtype and shape it declared.
 */
export function resolveRequest(req: InferRequest, sig: ModelSignature): ResolvedRequest {
  const inputs: Record<string, Tensor> = Object.create(null);
  req.inputs.forEach((tensor, i) => {
    const name = req.inputNames[i] || sig.defaultInputs[i];
    if (name === undefined) {
      throw invalid(
        `input tensor ${i} has no name and the model has ${sig.defaultInputs.length} default input(s); name it`,
      );
    }
    const declared = sig.inputs.has(name) ? name : (sig.aliases.get(name) ?? name);
    const spec = sig.inputs.get(declared);
    if (!spec) throw invalid(`unknown input "${name}"; the model's inputs are ${list(sig.inputs.keys())}`);
    if (declared in inputs) throw invalid(`input "${declared}" is given more than once`);
    checkTensor(`input "${name}"`, tensor, spec);
    inputs[declared] = tensor;
  });
  for (const name of sig.inputs.keys()) {
    if (!(name in inputs)) throw invalid(`missing input "${name}"; the model needs ${list(sig.inputs.keys())}`);
  }
  const answerNames = req.outputNames.length ? req.outputNames : sig.defaultOutputs;
  // The same array unless an alias was used: nothing is copied on the usual path.
  let outputNames = answerNames;
  for (let i = 0; i < answerNames.length; i++) {
    const name = answerNames[i]!;
    if (sig.outputs.has(name)) continue;
    const declared = sig.aliases.get(name);
    if (declared === undefined || !sig.outputs.has(declared))
      throw invalid(`unknown output "${name}"; the model's outputs are ${list(sig.outputs.keys())}`);
    if (outputNames === answerNames) outputNames = [...answerNames];
    (outputNames as string[])[i] = declared;
  }
  return { inputs, outputNames, answerNames };
}

/** Checks a tensor against a declared dtype and shape (-1 matches any size). */
export function checkTensor(what: string, tensor: Tensor, spec: TensorSpec): void {
  if (spec.dtype !== undefined && tensor.dtype !== spec.dtype) {
    throw invalid(`${what} must be ${spec.dtype}, got ${tensor.dtype}`);
  }
  const shape = spec.shape;
  if (shape === undefined) return;
  const ok = tensor.shape.length === shape.length && shape.every((d, i) => d < 0 || d === tensor.shape[i]);
  if (!ok) throw invalid(`${what} must have shape [${shape.join(', ')}], got [${tensor.shape.join(', ')}]`);
}

function invalid(message: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', message);
}

function list(names: Iterable<string>): string {
  return [...names].map((n) => `"${n}"`).join(', ');
}
