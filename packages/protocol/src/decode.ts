import { type DType, dtypeFromWire, elementSize, typedArrayFor, WireType } from './dtype.js';
import { invalidMessage } from './errors.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from './limits.js';
import type { InferResponse, IOMetadata, MetadataResponse, Request, ResponseError } from './messages.js';
import type { Tensor } from './tensor.js';
import { FlatReader, type TableRef } from './wire/reader.js';

// Field ids, fixed by schema/graphpipe.fbs.
const REQUEST = { reqType: 0, req: 1 } as const;
const REQ_INFER = 1;
const INFER_REQUEST = { config: 0, inputNames: 1, inputTensors: 2, outputNames: 3 } as const;
const TENSOR = { type: 0, shape: 1, data: 2, stringVal: 3 } as const;
const INFER_RESPONSE = { outputTensors: 0, errors: 1 } as const;
const ERROR = { code: 0, message: 1 } as const;
const METADATA_RESPONSE = { name: 0, version: 1, server: 2, description: 3, inputs: 4, outputs: 5 } as const;
const IO_METADATA = { name: 0, description: 1, shape: 2, type: 3 } as const;

function limitsOf(limits: Partial<DecodeLimits> | undefined): DecodeLimits {
  return limits ? { ...DEFAULT_DECODE_LIMITS, ...limits } : DEFAULT_DECODE_LIMITS;
}

/**
 * Decodes a Request body. Tensor data comes back as views over `bytes` where alignment allows,
 * so `bytes` must not be reused while the request's tensors are in use.
 */
export function decodeRequest(bytes: Uint8Array, limits?: Partial<DecodeLimits>): Request {
  const r = new FlatReader(bytes);
  const root = r.root('Request');
  if (r.u8(root, REQUEST.reqType, 'Request') !== REQ_INFER) return { kind: 'metadata' };
  const at = r.ref(root, REQUEST.req, 'Request');
  if (!at) throw invalidMessage('Request: union type is InferRequest but no InferRequest follows');
  const t = r.table(at, 'InferRequest');
  return {
    kind: 'infer',
    config: r.string(t, INFER_REQUEST.config, 'InferRequest.config'),
    inputNames: r.strings(t, INFER_REQUEST.inputNames, 'InferRequest.input_names'),
    inputs: readTensors(r, t, INFER_REQUEST.inputTensors, 'InferRequest.input_tensors', limitsOf(limits)),
    outputNames: r.strings(t, INFER_REQUEST.outputNames, 'InferRequest.output_names'),
  };
}

export function decodeInferResponse(bytes: Uint8Array, limits?: Partial<DecodeLimits>): InferResponse {
  const r = new FlatReader(bytes);
  const root = r.root('InferResponse');
  const v = r.vector(root, INFER_RESPONSE.errors, 4, 'InferResponse.errors');
  const errors = new Array<ResponseError>(v.length);
  for (let i = 0; i < v.length; i++) {
    const e = r.table(r.element(v, i, 'InferResponse.errors'), 'Error');
    errors[i] = { code: r.i64(e, ERROR.code, 'Error.code'), message: r.string(e, ERROR.message, 'Error.message') };
  }
  return {
    outputs: readTensors(r, root, INFER_RESPONSE.outputTensors, 'InferResponse.output_tensors', limitsOf(limits)),
    errors,
  };
}

export function decodeMetadataResponse(bytes: Uint8Array): MetadataResponse {
  const r = new FlatReader(bytes);
  const t = r.root('MetadataResponse');
  const M = METADATA_RESPONSE;
  return {
    name: r.string(t, M.name, 'MetadataResponse.name'),
    version: r.string(t, M.version, 'MetadataResponse.version'),
    server: r.string(t, M.server, 'MetadataResponse.server'),
    description: r.string(t, M.description, 'MetadataResponse.description'),
    inputs: readIOMetadata(r, t, M.inputs, 'MetadataResponse.inputs'),
    outputs: readIOMetadata(r, t, M.outputs, 'MetadataResponse.outputs'),
  };
}

/** Decodes a buffer whose root is a bare Tensor (as graphpipe-py's save_tensor writes). */
export function decodeTensor(bytes: Uint8Array, limits?: Partial<DecodeLimits>): Tensor {
  const r = new FlatReader(bytes);
  return readTensor(r, r.root('Tensor'), limitsOf(limits));
}

function readIOMetadata(r: FlatReader, t: TableRef, id: number, what: string): IOMetadata[] {
  const v = r.vector(t, id, 4, what);
  const out = new Array<IOMetadata>(v.length);
  for (let i = 0; i < v.length; i++) {
    const io = r.table(r.element(v, i, what), 'IOMetadata');
    const wire = r.u8(io, IO_METADATA.type, 'IOMetadata.type');
    out[i] = {
      name: r.string(io, IO_METADATA.name, 'IOMetadata.name'),
      description: r.string(io, IO_METADATA.description, 'IOMetadata.description'),
      shape: r.int64List(r.vector(io, IO_METADATA.shape, 8, 'IOMetadata.shape'), 'IOMetadata.shape'),
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
  const wire = r.u8(t, TENSOR.type, 'Tensor.type');
  const dtype = dtypeFromWire(wire);
  if (!dtype) throw invalidMessage(`Tensor.type ${wire} is not a GraphPipe type (expected 1-${WireType.String})`);
  const shape = readShape(r, t, limits);
  const count = countElements(shape, limits);
  if (dtype === 'string') return { dtype, shape, data: readStrings(r, t, count) };
  return { dtype, shape, data: readNumeric(r, t, dtype, shape, count) } as Tensor;
}

function readShape(r: FlatReader, t: TableRef, limits: DecodeLimits): number[] {
  const v = r.vector(t, TENSOR.shape, 8, 'Tensor.shape');
  if (v.length > limits.maxRank)
    throw invalidMessage(`Tensor.shape has ${v.length} dimensions, over the limit of ${limits.maxRank}`);
  const shape = r.int64List(v, 'Tensor.shape');
  for (const d of shape) if (d < 0) throw invalidMessage(`Tensor.shape [${shape.join(', ')}] has a negative dimension`);
  return shape;
}

function countElements(shape: readonly number[], limits: DecodeLimits): number {
  let count = 1;
  for (const d of shape) {
    count *= d;
    // Checked at every step: an early huge product must not hide behind a later zero.
    if (count > limits.maxElements) {
      throw invalidMessage(`Tensor.shape [${shape.join(', ')}] exceeds the limit of ${limits.maxElements} elements`);
    }
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
  const v = r.vector(t, TENSOR.data, 1, 'Tensor.data');
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
  const v = r.vector(t, TENSOR.stringVal, 4, 'Tensor.string_val');
  if (v.length !== count)
    throw invalidMessage(`Tensor.string_val has ${v.length} strings but the shape needs ${count}`);
  const out = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) out[i] = r.stringBytesAt(r.element(v, i, 'Tensor.string_val'), 'Tensor.string_val');
  return out;
}
