/** What the backend tells GraphPipe about a model: its name and its inputs and outputs. */
import { checkModelName, GraphPipeError, type Tensor, tensorFromJson, toModelName } from '@graphpipe/protocol';
import type { ModelMetadata, TensorSpec } from '@graphpipe/server-core';
import { dtypeFromOnnx } from './dtype-map.js';
import type { ModelHeader } from './model-header.js';
import type { OrtValueMetadata, SessionIO } from './ort-types.js';

/** One input or output: its spec, and why GraphPipe cannot carry it when that is so. */
export interface OnnxValueInfo {
  readonly spec: TensorSpec;
  readonly unsupported?: string;
}

export interface ModelDescription {
  readonly metadata: ModelMetadata;
  readonly inputs: ReadonlyMap<string, OnnxValueInfo>;
  readonly outputs: ReadonlyMap<string, OnnxValueInfo>;
}

/** Explicit values that win over what the model file says. */
export interface NameOverrides {
  name?: string;
  version?: string;
  description?: string;
}

export function describeModel(
  session: SessionIO,
  header: ModelHeader,
  /** The name when neither the overrides nor the model give one (e.g. the file's name). */
  fallbackName: string,
  overrides: NameOverrides,
): ModelDescription {
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, describeValue(m, 'input')]));
  const outputs = new Map(session.outputMetadata.map((m) => [m.name, describeValue(m, 'output')]));
  const props = header.metadataProps;
  const version =
    overrides.version ?? props.get('version') ?? (header.modelVersion ? String(header.modelVersion) : undefined);
  const description = overrides.description ?? props.get('description') ?? (header.docString || undefined);
  const labels = readLabels(props.get('labels'));
  const examples = readExamples(props.get('examples'), inputs);
  return {
    metadata: {
      name: nameOf(overrides.name, props.get('name'), fallbackName),
      ...(version === undefined ? {} : { version }),
      ...(description === undefined ? {} : { description }),
      platform: 'onnxruntime_onnx',
      inputs: [...inputs.values()].map((p) => p.spec),
      outputs: [...outputs.values()].map((p) => p.spec),
      ...(labels ? { labels } : {}),
      ...(examples ? { examples } : {}),
    },
    inputs,
    outputs,
  };
}

/**
 * The name given (checked now), else the one the file declares (a server refuses it, saying to
 * give another, if it breaks the rule), else the fallback (a file's name), made into a model name.
 */
function nameOf(given: string | undefined, declared: string | undefined, fallback: string): string {
  if (given !== undefined) return checkModelName(given);
  return declared ?? toModelName(fallback);
}

function describeValue(m: OrtValueMetadata, role: 'input' | 'output'): OnnxValueInfo {
  if (!m.isTensor) {
    const what = 'an ONNX sequence, map or optional value';
    return {
      spec: { name: m.name, description: what },
      unsupported: `${role} "${m.name}" is ${what}, which GraphPipe cannot carry`,
    };
  }
  // Symbolic dims ("batch") and unknown dims both arrive as strings; GraphPipe says -1 for any size.
  const shape = m.shape.map((d) => (typeof d === 'number' ? d : -1));
  const dtype = dtypeFromOnnx(m.type);
  if (dtype === undefined) {
    return {
      spec: { name: m.name, shape, description: `ONNX ${m.type} tensor; GraphPipe has no ${m.type} dtype` },
      unsupported: `${role} "${m.name}" has ONNX type ${m.type}, which GraphPipe has no dtype for`,
    };
  }
  return { spec: { name: m.name, dtype, shape } };
}

/** Class names from the `labels` prop: a JSON array of strings, or names separated by commas. */
function readLabels(text: string | undefined): string[] | undefined {
  if (!text?.trim()) return undefined;
  if (text.trim().startsWith('[')) {
    const parsed = parseProp('labels', text);
    if (Array.isArray(parsed) && parsed.every((l) => typeof l === 'string')) return parsed;
    throw badProp('labels', 'a JSON array of labels must hold strings only');
  }
  return text.split(',').map((l) => l.trim());
}

/**
 * Example inputs from the `examples` prop: a JSON object from input names to nested arrays (or
 * {"dtype", "shape", "data"}), read with each input's dtype.
 */
function readExamples(
  text: string | undefined,
  inputs: ReadonlyMap<string, OnnxValueInfo>,
): Record<string, Tensor> | undefined {
  if (!text?.trim()) return undefined;
  const parsed = parseProp('examples', text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badProp('examples', 'expected a JSON object from input names to arrays');
  }
  const examples: Record<string, Tensor> = Object.create(null);
  for (const [name, value] of Object.entries(parsed)) {
    const input = inputs.get(name);
    if (!input) throw badProp('examples', `"${name}" is not one of the model's inputs`);
    try {
      examples[name] = tensorFromJson(value, input.spec.dtype);
    } catch (err) {
      throw badProp('examples', `input "${name}": ${(err as Error).message}`);
    }
  }
  return examples;
}

function parseProp(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badProp(key, `not valid JSON (${(err as Error).message})`);
  }
}

function badProp(key: string, why: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', `the model's metadata_props "${key}" cannot be read: ${why}`);
}
