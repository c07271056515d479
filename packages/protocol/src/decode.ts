import { type DType, dtypeFromWire, elementSize, typedArrayFor, WireType } from './dtype.js';
import { invalidMessage } from './errors.js';
import { completeLimits, countWithin, type DecodeLimits } from './limits.js';
import type { InferResponse, MetadataResponse, Request, ResponseError, TensorSpec } from './messages.js';
import type { Tensor } from './tensor.js';
import { FlatReader, type TableRef } from './wire/reader.js';
import {
  ERROR,
  INFER_REQUEST,
  INFER_RESPONSE,
  IO_METADATA,
  METADATA_RESPONSE,
  REQ,
  REQUEST,
  TENSOR,
} from './wire/schema.js';

/**
 * Decodes a Request body. Tensor data comes back as views over `bytes` where alignment allows,
 * so `bytes` must not be reused while the request's tensors are in use.
 */
export function decodeRequest(bytes: Uint8Array, limits?: Partial<DecodeLimits>): Request {
  const r = new FlatReader(bytes);
  const root = r.root('Request');
  if (r.u8(root, REQUEST.id.reqType, 'Request') !== REQ.infer) return { kind: 'metadata' };
  const at = r.ref(root, REQUEST.id.req, 'Request');
  if (!at) throw invalidMessage('Request: union type is InferRequest but no InferRequest follows');
  const t = r.table(at, 'InferRequest');
  return {
    kind: 'infer',
    config: r.string(t, INFER_REQUEST.id.config, 'InferRequest.config'),
    inputNames: r.strings(t, INFER_REQUEST.id.inputNames, 'InferRequest.input_names'),
    inputs: readTensors(r, t, INFER_REQUEST.id.inputTensors, 'InferRequest.input_tensors', completeLimits(limits)),
    outputNames: r.strings(t, INFER_REQUEST.id.outputNames, 'InferRequest.output_names'),
  };
}

export function decodeInferResponse(bytes: Uint8Array, limits?: Partial<DecodeLimits>): InferResponse {
  const r = new FlatReader(bytes);
  const root = r.root('InferResponse');
  const v = r.vector(root, INFER_RESPONSE.id.errors, 4, 'InferResponse.errors');
  const errors = new Array<ResponseError>(v.length);
  for (let i = 0; i < v.length; i++) {
    const e = r.table(r.element(v, i, 'InferResponse.errors'), 'Error');
    errors[i] = {
      code: r.i64(e, ERROR.id.code, 'Error.code'),
      message: r.string(e, ERROR.id.message, 'Error.message'),
    };
  }
  return {
    outputs: readTensors(
      r,
      root,
      INFER_RESPONSE.id.outputTensors,
      'InferResponse.output_tensors',
      completeLimits(limits),
    ),
    errors,
  };
}

export function decodeMetadataResponse(bytes: Uint8Array): MetadataResponse {
  const r = new FlatReader(bytes);
  const t = r.root('MetadataResponse');
  const M = METADATA_RESPONSE.id;
  return {
    name: r.string(t, M.name, 'MetadataResponse.name'),
    version: r.string(t, M.version, 'MetadataResponse.version'),
    server: r.string(t, M.server, 'MetadataResponse.server'),
    description: r.string(t, M.description, 'MetadataResponse.description'),
    inputs: readTensorSpecs(r, t, M.inputs, 'MetadataResponse.inputs'),
    outputs: readTensorSpecs(r, t, M.outputs, 'MetadataResponse.outputs'),
  };
}

/** Decodes a buffer whose root is a bare Tensor (as graphpipe-py's save_tensor writes). */
export function decodeTensor(bytes: Uint8Array, limits?: Partial<DecodeLimits>): Tensor {
  const r = new FlatReader(bytes);
  return readTensor(r, r.root('Tensor'), completeLimits(limits));
}

function readTensorSpecs(r: FlatReader, t: TableRef, id: number, what: string): TensorSpec[] {
  const v = r.vector(t, id, 4, what);
  const out = new Array<TensorSpec>(v.length);
  for (let i = 0; i < v.length; i++) {
    const io = r.table(r.element(v, i, what), 'IOMetadata');
    const wire = r.u8(io, IO_METADATA.id.type, 'IOMetadata.type');
    // An absent shape means any rank; an empty one, a scalar (the original servers always write one).
    const shape = r.field(io, IO_METADATA.id.shape, 4, 'IOMetadata.shape')
      ? r.int64List(r.vector(io, IO_METADATA.id.shape, 8, 'IOMetadata.shape'), 'IOMetadata.shape')
      : undefined;
    out[i] = {
      name: r.string(io, IO_METADATA.id.name, 'IOMetadata.name'),
      description: r.string(io, IO_METADATA.id.description, 'IOMetadata.description'),
      shape,
      dtype: dtypeFromWire(wire),
    };
  }
  return out;
}

function readTensors(r: FlatReader, t: TableRef, id: number, what: string, limits: DecodeLimits): Tensor[] {
  const v = r.vector(t, id, 4, what);
  if (v.length > limits.maxTensors)
    throw invalidMessage(`${what}: ${v.length} tensors exceed the limit of ${limits.maxTensors}`);
  const out = new Array<Tensor>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = readTensor(r, r.table(r.element(v, i, what), `Tensor ${i}`), limits);
  return out;
}

function readTensor(r: FlatReader, t: TableRef, limits: DecodeLimits): Tensor {
  const wire = r.u8(t, TENSOR.id.type, 'Tensor.type');
  const dtype = dtypeFromWire(wire);
  if (!dtype) throw invalidMessage(`Tensor.type ${wire} is not a GraphPipe type (expected 1-${WireType.String})`);
  const shape = readShape(r, t, limits);
  const count = countElements(shape, limits);
  if (dtype === 'string') return { dtype, shape, data: readStrings(r, t, count) };
  return { dtype, shape, data: readNumeric(r, t, dtype, shape, count) } as Tensor;
}

function readShape(r: FlatReader, t: TableRef, limits: DecodeLimits): number[] {
  const v = r.vector(t, TENSOR.id.shape, 8, 'Tensor.shape');
  if (v.length > limits.maxRank)
    throw invalidMessage(`Tensor.shape has ${v.length} dimensions, over the limit of ${limits.maxRank}`);
  const shape = r.int64List(v, 'Tensor.shape');
  for (const d of shape) if (d < 0) throw invalidMessage(`Tensor.shape [${shape.join(', ')}] has a negative dimension`);
  return shape;
}

function countElements(shape: readonly number[], limits: DecodeLimits): number {
  const count = countWithin(shape, limits.maxElements);
  if (count < 0) {
    throw invalidMessage(`Tensor.shape [${shape.join(', ')}] exceeds the limit of ${limits.maxElements} elements`);
  }
  return count;
}

function readNumeric(
  r: FlatReader,
  t: TableRef,
  dtype: Exclude<DType, 'string'>,
  shape: readonly number[],
  count: number,
) {
  const size = elementSize(dtype);
  const v = r.vector(t, TENSOR.id.data, 1, 'Tensor.data');
  if (v.length !== count * size) {
    throw invalidMessage(
      `Tensor.data has ${v.length} bytes but a ${dtype} tensor of shape [${shape.join(', ')}] needs ${count * size}`,
    );
  }
  const ArrayType = typedArrayFor(dtype);
  const bytes = r.bytes;
  const offset = bytes.byteOffset + v.start;
  // Zero-copy when the payload is aligned for its element type; the original encoders align
  // to 4 bytes only, so 8-byte types from them may need a copy. (All JS hosts are little-endian.)
  if (offset % size === 0) return new ArrayType(bytes.buffer, offset, count);
  const copy = new ArrayType(count);
  new Uint8Array(copy.buffer).set(bytes.subarray(v.start, v.start + v.length));
  return copy;
}

function readStrings(r: FlatReader, t: TableRef, count: number): Uint8Array[] {
  const v = r.vector(t, TENSOR.id.stringVal, 4, 'Tensor.string_val');
  if (v.length !== count)
    throw invalidMessage(`Tensor.string_val has ${v.length} strings but the shape needs ${count}`);
  const out = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) out[i] = r.stringBytesAt(r.element(v, i, 'Tensor.string_val'), 'Tensor.string_val');
  return out;
}
