/**
 * Inference requests: decoded by a server (JSON, binary tensor data, or the raw single-input
 * form) and encoded by a client.
 */
import { elementSize } from '../dtype.js';
import { invalidMessage } from '../errors.js';
import { completeLimits, countWithin, type DecodeLimits } from '../limits.js';
import type { TensorSpec } from '../messages.js';
import type { Tensor } from '../tensor.js';
import { shapeText, tensorFromBinary } from './binary.js';
import { datatypeOf } from './datatype.js';
import { type JsonObject, JsonReader } from './json-reader.js';
import { jsonEstimate, written } from './json-writer.js';
import {
  invalidArgument,
  jsonLengthOf,
  type NamedTensor,
  objectValue,
  placeTensors,
  readTensorObjects,
  stringValue,
  writeTensorObject,
} from './tensor-json.js';

/** An output a request asks for. */
export interface RequestedOutput {
  readonly name: string;
  /** Its `binary_data` parameter: true for binary data, false for JSON, undefined when not said. */
  readonly binary: boolean | undefined;
}

export interface V2InferRequest {
  readonly kind: 'infer';
  readonly id: string | undefined;
  readonly parameters: JsonObject | undefined;
  readonly inputs: readonly NamedTensor[];
  /** The outputs asked for, in order; undefined: every (default) output. */
  readonly outputs: readonly RequestedOutput[] | undefined;
  /** The request's `binary_data_output` parameter: outputs as binary data unless an output says otherwise. */
  readonly binaryOutput: boolean;
}

/** The raw form: `Inference-Header-Content-Length: 0`, the body being one input's bytes. */
export interface V2RawRequest {
  readonly kind: 'raw';
  readonly bytes: Uint8Array;
}

/**
 * Decodes a request body. `header` is the Inference-Header-Content-Length header, if sent.
 * Binary tensors are views of `body` where aligned, so `body` must not be reused while they are
 * in use. Throws GraphPipeError (400) for anything malformed or inconsistent.
 */
export function decodeV2Request(
  body: Uint8Array,
  header: string | null | undefined,
  limits?: Partial<DecodeLimits>,
): V2InferRequest | V2RawRequest {
  const jsonLength = jsonLengthOf(header, body.length);
  if (jsonLength === 0) return { kind: 'raw', bytes: body };
  const all = completeLimits(limits);
  const r = new JsonReader(jsonLength === undefined ? body : body.subarray(0, jsonLength), 'request JSON');
  let id: string | undefined;
  let parameters: JsonObject | undefined;
  let inputs: ReturnType<typeof readTensorObjects> | undefined;
  let outputs: RequestedOutput[] | undefined;
  for (let key = r.firstKey(); key !== undefined; key = r.nextKey()) {
    if (key === 'id') id = stringValue(r, 'id');
    else if (key === 'parameters') parameters = objectValue(r, 'parameters');
    else if (key === 'inputs') inputs = readTensorObjects(r, 'input', all);
    else if (key === 'outputs') outputs = readRequestedOutputs(r, all);
    else r.value();
  }
  if (jsonLength === undefined && r.peek() !== -1) {
    r.fail(
      'unexpected content after the JSON value (binary tensor data needs an Inference-Header-Content-Length header)',
    );
  }
  r.finish();
  if (!inputs) throw invalidMessage('the request has no "inputs"');
  const binaryOutput = parameters?.binary_data_output ?? false;
  if (typeof binaryOutput !== 'boolean') throw invalidMessage('parameters.binary_data_output must be true or false');
  return {
    kind: 'infer',
    id,
    parameters,
    inputs: placeTensors(inputs, r, body, jsonLength ?? body.length, jsonLength !== undefined),
    outputs,
    binaryOutput,
  };
}

function readRequestedOutputs(r: JsonReader, limits: DecodeLimits): RequestedOutput[] {
  const out: RequestedOutput[] = [];
  for (let more = r.firstItem(), i = 0; more; more = r.nextItem(), i++) {
    if (i >= limits.maxTensors) throw invalidMessage(`more than ${limits.maxTensors} outputs`);
    let name: string | undefined;
    let parameters: JsonObject | undefined;
    for (let key = r.firstKey(); key !== undefined; key = r.nextKey()) {
      if (key === 'name') name = stringValue(r, `outputs[${i}].name`);
      else if (key === 'parameters') parameters = objectValue(r, `outputs[${i}].parameters`);
      else r.value();
    }
    if (name === undefined) throw invalidMessage(`outputs[${i}] has no name`);
    const binary = parameters?.binary_data;
    if (binary !== undefined && typeof binary !== 'boolean') {
      throw invalidMessage(`output ${JSON.stringify(name)}: binary_data must be true or false`);
    }
    if (parameters?.classification !== undefined) {
      throw invalidArgument(`output ${JSON.stringify(name)}: the classification extension is not supported`);
    }
    out.push({ name, binary });
  }
  return out;
}

/**
 * The tensor in a raw request's body, for a model whose one input is `spec`: its declared
 * datatype, and its shape with the one variable dimension (if any) worked out from the size.
 * BYTES inputs take the whole body as their one element (shape [1]).
 */
export function decodeV2RawInput(body: Uint8Array, spec: TensorSpec, limits?: Partial<DecodeLimits>): NamedTensor {
  const what = `input ${JSON.stringify(spec.name)}`;
  const form = 'the raw binary form (Inference-Header-Content-Length: 0)';
  if (spec.dtype === undefined || spec.shape === undefined) {
    throw invalidArgument(
      `${form} needs the input's datatype and shape, and ${what} declares ${spec.dtype ? 'no shape' : 'no datatype'}; send a JSON header`,
    );
  }
  if (spec.dtype === 'string') {
    if (spec.shape.length !== 1 || spec.shape[0]! > 1 || spec.shape[0] === 0) {
      throw invalidArgument(
        `${form} carries a BYTES input of shape [1] only; ${what} has shape ${shapeText(spec.shape)}`,
      );
    }
    return { name: spec.name, tensor: { dtype: 'string', shape: [1], data: [body] } };
  }
  const size = elementSize(spec.dtype);
  const variable = spec.shape.filter((d) => d < 0).length;
  if (variable > 1) {
    throw invalidArgument(`${form} needs at most one variable dimension; ${what} has shape ${shapeText(spec.shape)}`);
  }
  const fixed = spec.shape.reduce((n, d) => (d < 0 ? n : n * d), 1);
  const rowBytes = fixed * size;
  if (
    rowBytes === 0 ? body.length !== 0 : body.length % rowBytes !== 0 || (variable === 0 && body.length !== rowBytes)
  ) {
    throw invalidArgument(
      `${form}: ${body.length} bytes do not make a ${datatypeOf(spec.dtype)} tensor of shape ${shapeText(spec.shape)}`,
    );
  }
  const shape = spec.shape.map((d) => (d < 0 ? (rowBytes === 0 ? 0 : body.length / rowBytes) : d));
  const count = countWithin(shape, completeLimits(limits).maxElements);
  if (count < 0) throw invalidArgument(`${what}: shape ${shapeText(shape)} exceeds the element limit`);
  const tensor = tensorFromBinary(body, 0, body.length, spec.dtype, shape, count, what, datatypeOf(spec.dtype));
  return { name: spec.name, tensor };
}

/** What a client sends. */
export interface V2RequestInit {
  readonly id?: string;
  readonly parameters?: JsonObject;
  readonly inputs: readonly { readonly name: string; readonly tensor: Tensor }[];
  /** Outputs to ask for, in order; absent: every output. */
  readonly outputs?: readonly { readonly name: string; readonly binary?: boolean }[];
  /** Inputs as binary data (default) or as JSON; FP16 and non-UTF-8 BYTES are binary either way. */
  readonly binaryInputs?: boolean;
  /** Ask for every output as binary data (`binary_data_output`). */
  readonly binaryOutput?: boolean;
}

/** The encoded body: its chunks (tensor memory uncopied) and the JSON's length when binary data follows. */
export interface V2Body {
  readonly chunks: Uint8Array[];
  /** For Inference-Header-Content-Length: set when binary data follows the JSON. */
  readonly headerLength: number | undefined;
}

export function encodeV2Request(init: V2RequestInit): V2Body {
  const binaryInputs = init.binaryInputs ?? true;
  const binary: Uint8Array[] = [];
  let anyBinary = false;
  const parameters =
    init.binaryOutput === undefined ? init.parameters : { ...init.parameters, binary_data_output: init.binaryOutput };
  const json = written(
    jsonEstimate(init.inputs, () => binaryInputs),
    (w) => {
      w.ascii('{');
      if (init.id !== undefined) {
        w.ascii('"id":');
        w.string(init.id);
        w.ascii(',');
      }
      if (parameters && Object.keys(parameters).length) {
        w.ascii('"parameters":');
        w.json(parameters);
        w.ascii(',');
      }
      w.ascii('"inputs":[');
      init.inputs.forEach(({ name, tensor }, i) => {
        if (i) w.ascii(',');
        anyBinary = writeTensorObject(w, name, tensor, binaryInputs, binary) || anyBinary;
      });
      w.ascii(']');
      if (init.outputs) {
        w.ascii(',"outputs":[');
        init.outputs.forEach((o, i) => {
          if (i) w.ascii(',');
          w.ascii('{"name":');
          w.string(o.name);
          if (o.binary !== undefined) w.ascii(`,"parameters":{"binary_data":${o.binary}}`);
          w.ascii('}');
        });
        w.ascii(']');
      }
      w.ascii('}');
    },
  );
  return { chunks: [json, ...binary], headerLength: anyBinary ? json.length : undefined };
}
