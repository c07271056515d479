/**
 * Model metadata in the protocol's form (`{"name", "versions", "platform", "inputs",
 * "outputs"}`), made from a model's tensor specs, and read back into them.
 */
import { invalidMessage } from '../errors.js';
import type { TensorSpec } from '../messages.js';
import { datatypeOf, dtypeOfDatatype } from './datatype.js';

export interface V2TensorMetadata {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

export interface V2ModelMetadata {
  readonly name: string;
  readonly versions?: readonly string[];
  readonly platform: string;
  readonly inputs: readonly V2TensorMetadata[];
  readonly outputs: readonly V2TensorMetadata[];
}

/** The datatype listed for a tensor that takes any datatype (the protocol has no word for it). */
export const ANY_DATATYPE = 'ANY';

/**
 * A tensor spec as the protocol lists it: a variable dimension is -1; a tensor that takes any
 * datatype is listed as "ANY", and one of any rank with shape [-1].
 */
export function v2TensorMetadata(spec: TensorSpec): V2TensorMetadata {
  return {
    name: spec.name,
    datatype: spec.dtype === undefined ? ANY_DATATYPE : datatypeOf(spec.dtype),
    shape: spec.shape ?? [-1],
  };
}

export function v2ModelMetadata(
  model: { readonly name: string; readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] },
  versions: readonly string[],
  platform: string,
): V2ModelMetadata {
  return {
    name: model.name,
    versions,
    platform,
    inputs: model.inputs.map(v2TensorMetadata),
    outputs: model.outputs.map(v2TensorMetadata),
  };
}

/**
 * Tensor specs from a server's model metadata (already parsed JSON). A datatype we have no dtype
 * for (BF16, ANY) leaves the dtype open and is named in the description.
 */
export function tensorSpecsFromV2(metadata: unknown): {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
} {
  const m = metadata as Partial<Record<keyof V2ModelMetadata, unknown>> | null;
  if (typeof m !== 'object' || m === null || typeof m.name !== 'string') {
    throw invalidMessage('model metadata must be an object with a "name"');
  }
  const specs = (list: unknown, key: string): TensorSpec[] => {
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw invalidMessage(`model metadata "${key}" must be an array`);
    return list.map((t: Partial<V2TensorMetadata> | null, i) => {
      if (typeof t !== 'object' || t === null || typeof t.name !== 'string') {
        throw invalidMessage(`model metadata ${key}[${i}] has no name`);
      }
      const datatype = typeof t.datatype === 'string' ? t.datatype : undefined;
      const dtype = datatype === undefined ? undefined : dtypeOfDatatype(datatype);
      const shape = Array.isArray(t.shape) && t.shape.every((d) => Number.isSafeInteger(d)) ? [...t.shape] : undefined;
      return {
        name: t.name,
        ...(dtype === undefined ? {} : { dtype }),
        ...(shape === undefined ? {} : { shape }),
        ...(dtype === undefined && datatype !== undefined && datatype !== ANY_DATATYPE
          ? { description: `datatype ${datatype}` }
          : {}),
      };
    });
  };
  return {
    name: m.name,
    versions: Array.isArray(m.versions) ? m.versions.map(String) : [],
    platform: typeof m.platform === 'string' ? m.platform : '',
    inputs: specs(m.inputs, 'inputs'),
    outputs: specs(m.outputs, 'outputs'),
  };
}
