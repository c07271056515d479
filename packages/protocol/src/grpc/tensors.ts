/**
 * Tensors in and out of the gRPC messages. Senders put every tensor in raw contents (as Triton's
 * clients and server do): its own memory, which the protobuf encoder copies once into the
 * message. Readers take raw contents as views of the received message where aligned (one copy of
 * the tensor where not), BYTES as views of each element, and the typed `contents` fields too.
 */
import { create } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { byteLengthOf, JOIN_BELOW_BYTES } from '../bytes.js';
import { typedArrayFor } from '../dtype.js';
import { GraphPipeError } from '../errors.js';
import { completeLimits, countWithin, type DecodeLimits } from '../limits.js';
import type { Tensor } from '../tensor.js';
import { lengthPrefixed, shapeText, tensorFromBinary } from '../v2/binary.js';
import { datatypeOf, requireDtype } from '../v2/datatype.js';
import type { NamedTensor } from '../v2/tensor-json.js';
import {
  type InferParameter,
  InferParameterSchema,
  type InferTensorContents,
  type ModelInferRequest,
  ModelInferRequestSchema,
  type ModelInferResponse,
  ModelInferResponseSchema,
} from './gen/grpc_service_pb.js';

const invalid = (message: string) => new GraphPipeError('INVALID_ARGUMENT', message);

/** A tensor's description in a message: an input's or an output's. */
interface TensorMessage {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly bigint[];
  readonly contents?: InferTensorContents | undefined;
}

/**
 * The tensors of a request's inputs or a response's outputs. `raw` is the message's raw contents:
 * one per tensor, or none (then each tensor's typed `contents`). `kind` names them in errors.
 */
export function tensorsOf(
  tensors: readonly TensorMessage[],
  raw: readonly Uint8Array[],
  kind: 'input' | 'output',
  limits?: Partial<DecodeLimits>,
): NamedTensor[] {
  const all = completeLimits(limits);
  if (tensors.length > all.maxTensors) throw invalid(`more than ${all.maxTensors} ${kind}s`);
  if (raw.length !== 0 && raw.length !== tensors.length) {
    throw invalid(`raw_${kind}_contents holds ${raw.length} tensors for ${tensors.length} ${kind}s; send all or none`);
  }
  return tensors.map((t, i) => {
    const what = `${kind} ${JSON.stringify(t.name)}`;
    const dtype = requireDtype(t.datatype, what);
    const shape = shapeOf(t.shape, what, all);
    const count = countWithin(shape, all.maxElements);
    if (count < 0) throw invalid(`${what}: shape ${shapeText(shape)} exceeds the element limit`);
    const bytes = raw[i];
    const tensor = bytes
      ? tensorFromBinary(bytes, 0, bytes.length, dtype, shape, count, what, t.datatype)
      : fromContents(t.contents, dtype, shape, count, what, t.datatype);
    return { name: t.name, tensor };
  });
}

function shapeOf(dims: readonly bigint[], what: string, limits: DecodeLimits): number[] {
  if (dims.length > limits.maxRank)
    throw invalid(`${what}: rank ${dims.length} exceeds the limit of ${limits.maxRank}`);
  const shape = new Array<number>(dims.length);
  for (let i = 0; i < dims.length; i++) {
    const d = dims[i]!;
    if (d < 0n || d > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(`${what}: dimension ${i} is ${d}`);
    shape[i] = Number(d);
  }
  return shape;
}

/** The typed field of InferTensorContents each datatype travels in. */
const FIELD = {
  bool: 'boolContents',
  int8: 'intContents',
  int16: 'intContents',
  int32: 'intContents',
  int64: 'int64Contents',
  uint8: 'uintContents',
  uint16: 'uintContents',
  uint32: 'uintContents',
  uint64: 'uint64Contents',
  float32: 'fp32Contents',
  float64: 'fp64Contents',
  string: 'bytesContents',
} as const;

function fromContents(
  contents: InferTensorContents | undefined,
  dtype: Tensor['dtype'],
  shape: number[],
  count: number,
  what: string,
  datatype: string,
): Tensor {
  if (dtype === 'float16') throw invalid(`${what}: FP16 has no typed contents; send it in raw contents`);
  const values = (contents?.[FIELD[dtype]] ?? []) as readonly (number | bigint | boolean | Uint8Array)[];
  if (values.length !== count) {
    throw invalid(
      `${what}: shape ${shapeText(shape)} needs ${count} elements but ${FIELD[dtype]} holds ${values.length}; send raw contents or ${FIELD[dtype]}`,
    );
  }
  if (dtype === 'string') return { dtype, shape, data: values as Uint8Array[] };
  const data = new (typedArrayFor(dtype))(count);
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    (data as { [i: number]: unknown })[i] = dtype === 'bool' ? (v ? 1 : 0) : v;
    // A typed array wraps what does not fit: an element that did not come back as sent is out of range.
    if (dtype !== 'bool' && dtype !== 'float32' && data[i] !== v) {
      throw invalid(`${what}: element ${i} (${v}) is out of range for ${datatype}`);
    }
  }
  return { dtype, shape, data } as Tensor;
}

/** A tensor's raw contents: its own memory for fixed-size types, one new buffer for BYTES. */
export function rawContents(t: Tensor): Uint8Array {
  if (t.dtype === 'string') return lengthPrefixed(t.data);
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Protobuf's int64 dims. */
const dims = (shape: readonly number[]) => shape.map((d) => BigInt(d));

export interface GrpcRequestInit {
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly id?: string;
  readonly inputs: readonly { readonly name: string; readonly tensor: Tensor }[];
  /** Outputs to ask for, in order; absent or empty: the model's default outputs. */
  readonly outputNames?: readonly string[];
  /** GraphPipe's per-request config, as the `config` string parameter. */
  readonly config?: string;
}

/** A ModelInferRequest with every input in raw contents. */
export function inferRequest(init: GrpcRequestInit): ModelInferRequest {
  return create(ModelInferRequestSchema, {
    modelName: init.modelName,
    modelVersion: init.modelVersion ?? '',
    id: init.id ?? '',
    parameters: init.config ? { config: stringParameter(init.config) } : {},
    inputs: init.inputs.map(({ name, tensor }) => ({
      name,
      datatype: datatypeOf(tensor.dtype),
      shape: dims(tensor.shape),
    })),
    outputs: (init.outputNames ?? []).map((name) => ({ name })),
    rawInputContents: init.inputs.map(({ tensor }) => rawContents(tensor)),
  });
}

export interface GrpcResponseInit {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly outputs: readonly { readonly name: string; readonly tensor: Tensor }[];
}

/** A ModelInferResponse with every output in raw contents (`raw: false`: none, see encodeInferResponse). */
export function inferResponse(init: GrpcResponseInit & { readonly raw?: boolean }): ModelInferResponse {
  return create(ModelInferResponseSchema, {
    modelName: init.modelName,
    modelVersion: init.modelVersion,
    id: init.id,
    outputs: init.outputs.map(({ name, tensor }) => ({
      name,
      datatype: datatypeOf(tensor.dtype),
      shape: dims(tensor.shape),
    })),
    rawOutputContents: init.raw === false ? [] : init.outputs.map(({ tensor }) => rawContents(tensor)),
  });
}

/**
 * A ModelInferResponse's encoding, as `toBinary(ModelInferResponseSchema, inferResponse(init))`
 * gives it, in chunks to be sent in order: the raw contents of large outputs are the tensors'
 * own memory, uncopied, and everything else (names, shapes, small contents, each content's tag
 * and length) is written between them with protobuf-es's wire writer. This is the answer to
 * every inference, so it skips building a message object and encoding it by reflection, and
 * the copies of the contents that would take (into the writer's growing buffer, then joined).
 * Fields are written in field-number order, as protobuf-es writes them.
 */
export function encodeModelInferResponse(init: GrpcResponseInit): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let w = new BinaryWriter();
  if (init.modelName) w.tag(1, WireType.LengthDelimited).string(init.modelName);
  if (init.modelVersion) w.tag(2, WireType.LengthDelimited).string(init.modelVersion);
  if (init.id) w.tag(3, WireType.LengthDelimited).string(init.id);
  for (const { name, tensor } of init.outputs) {
    // InferOutputTensor: name (1), datatype (2), shape (3, packed int64).
    w.tag(5, WireType.LengthDelimited).fork();
    if (name) w.tag(1, WireType.LengthDelimited).string(name);
    w.tag(2, WireType.LengthDelimited).string(datatypeOf(tensor.dtype));
    if (tensor.shape.length > 0) {
      w.tag(3, WireType.LengthDelimited).fork();
      for (const d of tensor.shape) w.int64(d);
      w.join();
    }
    w.join();
  }
  for (const { tensor } of init.outputs) {
    const raw = rawContents(tensor);
    w.tag(6, WireType.LengthDelimited);
    if (raw.length < JOIN_BELOW_BYTES) {
      w.bytes(raw);
    } else {
      chunks.push(w.uint32(raw.length).finish(), raw);
      w = new BinaryWriter();
    }
  }
  const rest = w.finish();
  if (rest.length > 0 || chunks.length === 0) chunks.push(rest);
  return chunks;
}

/**
 * A ModelStreamInferResponse around an encoded ModelInferResponse (encodeModelInferResponse's
 * chunks), without decoding it again: field 2 (infer_response), its tag and length ahead of the
 * response's own chunks.
 */
export function encodeModelStreamInferResponse(response: readonly Uint8Array[]): Uint8Array[] {
  const head = new BinaryWriter().tag(2, WireType.LengthDelimited).uint32(byteLengthOf(response)).finish();
  return [head, ...response];
}

/**
 * Where the first raw input contents start in a ModelInferRequest, from its first bytes (what
 * has arrived of it): the offset of field 7's payload, or undefined when `head` ends before it
 * or is not a message. A reader places the message so that this offset is 8-aligned, and the
 * tensor is read in place instead of copied to aligned memory.
 */
export function rawInputContentsAt(head: Uint8Array): number | undefined {
  const reader = new BinaryReader(head);
  try {
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      if (field === RAW_INPUT_CONTENTS_FIELD && wireType === WireType.LengthDelimited) {
        reader.uint32();
        return reader.pos;
      }
      reader.skip(wireType, field);
    }
  } catch {
    // `head` ends inside a field, or is not a message: nothing to place.
  }
  return undefined;
}

/** raw_input_contents: field 7 of ModelInferRequest. */
const RAW_INPUT_CONTENTS_FIELD = 7;

/** A request's inputs, as tensors (see tensorsOf). */
export function requestInputs(request: ModelInferRequest, limits?: Partial<DecodeLimits>): NamedTensor[] {
  return tensorsOf(request.inputs, request.rawInputContents, 'input', limits);
}

/** A response's outputs, as tensors (see tensorsOf). */
export function responseOutputs(response: ModelInferResponse, limits?: Partial<DecodeLimits>): NamedTensor[] {
  return tensorsOf(response.outputs, response.rawOutputContents, 'output', limits);
}

/** GraphPipe's per-request config from a request's `config` parameter (a string), or ''. */
export function configParameter(parameters: { readonly [key: string]: InferParameter }): string {
  const config = Object.hasOwn(parameters, 'config') ? parameters.config!.parameterChoice : undefined;
  if (config === undefined || config.case === undefined) return '';
  if (config.case !== 'stringParam') throw invalid('parameters.config must be a string');
  return config.value;
}

function stringParameter(value: string): InferParameter {
  return create(InferParameterSchema, { parameterChoice: { case: 'stringParam', value } });
}
