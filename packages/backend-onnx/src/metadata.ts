/** What the backend tells GraphPipe about a model: its name and its inputs and outputs. */
import { basename, extname } from 'node:path';
import type { TensorSpec, ModelMetadata } from '@graphpipe/server-core';
import type { InferenceSession } from 'onnxruntime-node';
import { dtypeFromOnnx } from './dtype-map.js';
import type { ModelHeader } from './model-header.js';

/** One input or output: its spec, and why GraphPipe cannot carry it when that is so. */
export interface OnnxValueInfo {
  readonly spec: TensorSpec;
  readonly unsupported?: string;
}

/** What a loaded session tells of its inputs and outputs; a worker sends it when its session is ready. */
export type SessionIO = Pick<InferenceSession, 'inputMetadata' | 'outputMetadata'>;

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
  source: string | Uint8Array,
  overrides: NameOverrides,
): ModelDescription {
  const inputs = new Map(session.inputMetadata.map((m) => [m.name, describeValue(m, 'input')]));
  const outputs = new Map(session.outputMetadata.map((m) => [m.name, describeValue(m, 'output')]));
  const props = header.metadataProps;
  const version =
    overrides.version ?? props.get('version') ?? (header.modelVersion ? String(header.modelVersion) : undefined);
  const description = overrides.description ?? props.get('description') ?? (header.docString || undefined);
  return {
    metadata: {
      name:
        overrides.name ??
        props.get('name') ??
        (typeof source === 'string' ? basename(source, extname(source)) : 'onnx-model'),
      ...(version === undefined ? {} : { version }),
      ...(description === undefined ? {} : { description }),
      platform: 'onnxruntime_onnx',
      inputs: [...inputs.values()].map((p) => p.spec),
      outputs: [...outputs.values()].map((p) => p.spec),
    },
    inputs,
    outputs,
  };
}

function describeValue(m: InferenceSession.ValueMetadata, role: 'input' | 'output'): OnnxValueInfo {
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
