import { type DType, isDType, typedArrayFor, wireFromDType } from './dtype.js';
import type { MetadataResponse, ResponseError, TensorSpec } from './messages.js';
import { elementBytes } from './string-elements.js';
import { elementCount, type Tensor } from './tensor.js';
import { alignUp, Emitter } from './wire/emitter.js';
import {
  ERROR,
  INFER_REQUEST,
  INFER_RESPONSE,
  IO_METADATA,
  METADATA_REQUEST,
  METADATA_RESPONSE,
  REQ,
  REQUEST,
  TENSOR,
  without,
} from './wire/schema.js';

/** What an InferRequest needs; names and config are optional. */
export interface InferRequestInit {
  readonly inputs: readonly Tensor[];
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
  readonly config?: string;
}

export interface InferResponseInit {
  readonly outputs?: readonly Tensor[];
  readonly errors?: readonly ResponseError[];
}

export interface MetadataResponseInit extends Partial<Omit<MetadataResponse, 'inputs' | 'outputs'>> {
  readonly inputs?: readonly TensorSpec[];
  readonly outputs?: readonly TensorSpec[];
}

export interface EncodeOptions {
  /**
   * Write into this buffer, when it is large enough and 8-aligned, and return a view of its
   * start; otherwise a new buffer is allocated. Reusing one buffer across calls avoids
   * touching fresh memory each time, which for large messages costs far more than the copy.
   */
  readonly into?: Uint8Array<ArrayBuffer>;
}

/** Payloads start 8-aligned so every numeric dtype decodes as a view, without a copy. */
const PAYLOAD_ALIGN = 8;
const NO_PAYLOADS: readonly number[] = [];
const NUMERIC_TENSOR = without(TENSOR, 'stringVal');
const STRING_TENSOR = without(TENSOR, 'data');
const IO_METADATA_ANY_RANK = without(IO_METADATA, 'shape');
const utf8 = new TextEncoder();

/** A tensor checked and ready to lay out: payload bytes viewed, strings UTF-8 encoded once. */
interface PreparedTensor {
  readonly wire: number;
  readonly shape: readonly number[];
  /** Index into the message's payload list, or -1 for String tensors. */
  readonly payload: number;
  readonly strings: readonly Uint8Array[] | undefined;
}

/** A layout writes every byte of a message except the payloads, which `finish` appends. */
type Layout = (e: Emitter, payloadAt: readonly number[]) => void;

export function encodeInferRequest(init: InferRequestInit, options?: EncodeOptions): Uint8Array<ArrayBuffer> {
  return joined(...inferRequest(init), options?.into);
}

/**
 * The same bytes as `encodeInferRequest`, as a list of chunks: small header pieces and the
 * callers' own tensor payloads, uncopied. Write them in order (writev, a stream, a Blob).
 */
export function encodeInferRequestChunks(init: InferRequestInit): Uint8Array[] {
  return chunked(...inferRequest(init));
}

export function encodeMetadataRequest(): Uint8Array<ArrayBuffer> {
  return joined((e) => {
    e.pos = 4;
    const root = e.table(REQUEST.widths);
    e.offset(0, root.at);
    e.u8(root.fields[REQUEST.id.reqType]!, REQ.metadata);
    e.offset(root.fields[REQUEST.id.req]!, e.table(METADATA_REQUEST.widths).at);
  }, []);
}

export function encodeInferResponse(init: InferResponseInit, options?: EncodeOptions): Uint8Array<ArrayBuffer> {
  return joined(...inferResponse(init), options?.into);
}

/** The same bytes as `encodeInferResponse`, with payloads left uncopied (see encodeInferRequestChunks). */
export function encodeInferResponseChunks(init: InferResponseInit): Uint8Array[] {
  return chunked(...inferResponse(init));
}

export function encodeMetadataResponse(init: MetadataResponseInit): Uint8Array<ArrayBuffer> {
  const text = [init.name, init.version, init.server, init.description].map(encodeText);
  const ios = [init.inputs ?? [], init.outputs ?? []].map((list) =>
    list.map((io) => ({
      name: encodeText(io.name),
      description: encodeText(io.description),
      shape: io.shape,
      wire: io.dtype === undefined ? 0 : checkedWire(io.dtype),
    })),
  );
  return joined((e) => {
    e.pos = 4;
    const M = METADATA_RESPONSE.id;
    const root = e.table(METADATA_RESPONSE.widths);
    const fields = root.fields;
    e.offset(0, root.at);
    [M.name, M.version, M.server, M.description].forEach((id, i) => e.offset(fields[id]!, e.string(text[i]!)));
    [M.inputs, M.outputs].forEach((id, i) => {
      const list = ios[i]!;
      const slots = e.vector(list.length, 4);
      e.offset(fields[id]!, slots - 4);
      list.forEach((io, j) => {
        // No shape field means any rank; an empty shape is a scalar.
        const table = e.table(io.shape ? IO_METADATA.widths : IO_METADATA_ANY_RANK);
        const f = table.fields;
        e.offset(slots + 4 * j, table.at);
        e.u8(f[IO_METADATA.id.type]!, io.wire);
        e.offset(f[IO_METADATA.id.name]!, e.string(io.name));
        e.offset(f[IO_METADATA.id.description]!, e.string(io.description));
        if (io.shape) e.offset(f[IO_METADATA.id.shape]!, writeInt64s(e, io.shape));
      });
    });
  }, []);
}

/** A buffer whose root is a bare Tensor, as graphpipe-py's save_tensor writes. */
export function encodeTensor(t: Tensor): Uint8Array<ArrayBuffer> {
  const payloads: Uint8Array[] = [];
  const tensor = prepareTensor(t, payloads);
  return joined((e, payloadAt) => {
    e.pos = 4;
    const at = writeTensor(e, tensor, payloadAt);
    e.offset(0, at);
  }, payloads);
}

function inferRequest(init: InferRequestInit): [Layout, Uint8Array[]] {
  const payloads: Uint8Array[] = [];
  const tensors = init.inputs.map((t) => prepareTensor(t, payloads));
  const config = encodeText(init.config);
  const inputNames = (init.inputNames ?? []).map(encodeText);
  const outputNames = (init.outputNames ?? []).map(encodeText);
  const layout: Layout = (e, payloadAt) => {
    e.pos = 4;
    const root = e.table(REQUEST.widths);
    e.offset(0, root.at);
    e.u8(root.fields[REQUEST.id.reqType]!, REQ.infer);
    const infer = e.table(INFER_REQUEST.widths);
    const f = infer.fields;
    const I = INFER_REQUEST.id;
    e.offset(root.fields[REQUEST.id.req]!, infer.at);
    e.offset(f[I.config]!, e.string(config));
    e.offset(f[I.inputNames]!, writeStrings(e, inputNames));
    e.offset(f[I.inputTensors]!, writeTensors(e, tensors, payloadAt));
    e.offset(f[I.outputNames]!, writeStrings(e, outputNames));
  };
  return [layout, payloads];
}

function inferResponse(init: InferResponseInit): [Layout, Uint8Array[]] {
  const payloads: Uint8Array[] = [];
  const tensors = (init.outputs ?? []).map((t) => prepareTensor(t, payloads));
  const errors = (init.errors ?? []).map((err) => ({ code: err.code, message: encodeText(err.message) }));
  const layout: Layout = (e, payloadAt) => {
    e.pos = 4;
    const root = e.table(INFER_RESPONSE.widths);
    e.offset(0, root.at);
    e.offset(root.fields[INFER_RESPONSE.id.outputTensors]!, writeTensors(e, tensors, payloadAt));
    const slots = e.vector(errors.length, 4);
    e.offset(root.fields[INFER_RESPONSE.id.errors]!, slots - 4);
    errors.forEach((err, i) => {
      const table = e.table(ERROR.widths);
      e.offset(slots + 4 * i, table.at);
      e.i64(table.fields[ERROR.id.code]!, err.code);
      e.offset(table.fields[ERROR.id.message]!, e.string(err.message));
    });
  };
  return [layout, payloads];
}

function prepareTensor(t: Tensor, payloads: Uint8Array[]): PreparedTensor {
  const wire = checkedWire(t.dtype);
  const count = elementCount(t.shape);
  if (count !== t.data.length || !validShape(t.shape)) {
    throw new TypeError(`a ${t.dtype} tensor of shape [${t.shape.join(', ')}] cannot hold ${t.data.length} elements`);
  }
  if (t.dtype === 'string') {
    return {
      wire,
      shape: t.shape,
      payload: -1,
      strings: t.data.map((s, i) => elementBytes(s, 'a String tensor', i)),
    };
  }
  const data = t.data;
  if (!(data instanceof typedArrayFor(t.dtype))) {
    throw new TypeError(`${t.dtype} data must be a ${typedArrayFor(t.dtype).name}, not a ${data.constructor.name}`);
  }
  payloads.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { wire, shape: t.shape, payload: payloads.length - 1, strings: undefined };
}

function validShape(shape: readonly number[]): boolean {
  for (let i = 0; i < shape.length; i++) if (!Number.isSafeInteger(shape[i]) || shape[i]! < 0) return false;
  return true;
}

function checkedWire(dtype: DType): number {
  if (!isDType(dtype)) throw new TypeError(`unknown dtype "${String(dtype)}"`);
  return wireFromDType(dtype);
}

// The writers below run for every tensor of every answer: plain loops, no closure per call.

function writeTensors(e: Emitter, tensors: readonly PreparedTensor[], payloadAt: readonly number[]): number {
  const slots = e.vector(tensors.length, 4);
  for (let i = 0; i < tensors.length; i++) e.offset(slots + 4 * i, writeTensor(e, tensors[i]!, payloadAt));
  return slots - 4;
}

/** Writes one Tensor table and its shape and strings; returns the table's position. */
function writeTensor(e: Emitter, t: PreparedTensor, payloadAt: readonly number[]): number {
  const table = e.table(t.strings ? STRING_TENSOR : NUMERIC_TENSOR);
  const f = table.fields;
  e.u8(f[TENSOR.id.type]!, t.wire);
  e.offset(f[TENSOR.id.shape]!, writeInt64s(e, t.shape));
  // Payload positions are known only in the writing pass; they follow the whole header.
  if (!t.strings && payloadAt !== NO_PAYLOADS) e.offset(f[TENSOR.id.data]!, payloadAt[t.payload]!);
  if (t.strings) e.offset(f[TENSOR.id.stringVal]!, writeStrings(e, t.strings));
  return table.at;
}

function writeInt64s(e: Emitter, values: readonly number[]): number {
  const start = e.vector(values.length, 8);
  for (let i = 0; i < values.length; i++) e.i64(start + 8 * i, values[i]!);
  return start - 4;
}

function writeStrings(e: Emitter, strings: readonly Uint8Array[]): number {
  const slots = e.vector(strings.length, 4);
  for (let i = 0; i < strings.length; i++) e.offset(slots + 4 * i, e.string(strings[i]!));
  return slots - 4;
}

function encodeText(text: string | undefined): Uint8Array {
  return utf8.encode(text ?? '');
}

/** Where each payload's length prefix goes: after the header, each payload start 8-aligned. */
function placePayloads(headerEnd: number, payloads: readonly Uint8Array[]): { at: number[]; end: number } {
  const at: number[] = [];
  let pos = headerEnd;
  for (const p of payloads) {
    pos = alignUp(pos + 4, PAYLOAD_ALIGN) - 4;
    at.push(pos);
    pos += 4 + p.length;
  }
  return { at, end: pos };
}

function measure(layout: Layout): number {
  const sizer = new Emitter();
  layout(sizer, NO_PAYLOADS);
  return sizer.pos;
}

function joined(
  layout: Layout,
  payloads: readonly Uint8Array[],
  into?: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const headerEnd = measure(layout);
  const { at, end } = placePayloads(headerEnd, payloads);
  const reuse = into !== undefined && into.length >= end && into.byteOffset % PAYLOAD_ALIGN === 0;
  const out = reuse ? into.subarray(0, end) : new Uint8Array(end);
  // The layout leaves padding unwritten, trusting a zeroed buffer; a reused one is zeroed
  // wherever a payload does not cover (the header and the gaps), never across the payloads.
  if (reuse) out.fill(0, 0, headerEnd);
  const e = new Emitter(out);
  layout(e, at);
  let filled = headerEnd;
  for (let i = 0; i < payloads.length; i++) {
    const p = payloads[i]!;
    if (reuse) out.fill(0, filled, at[i]!);
    e.u32(at[i]!, p.length);
    out.set(p, at[i]! + 4);
    filled = at[i]! + 4 + p.length;
  }
  return out;
}

function chunked(layout: Layout, payloads: readonly Uint8Array[]): Uint8Array[] {
  const headerEnd = measure(layout);
  const { at, end } = placePayloads(headerEnd, payloads);
  // The header chunk runs up to the first payload (its length prefix included); between
  // payloads only a few bytes of padding and the next length prefix are written.
  const header = new Uint8Array(payloads.length ? at[0]! + 4 : end);
  layout(new Emitter(header), at);
  const chunks: Uint8Array[] = [header];
  payloads.forEach((p, i) => {
    if (i > 0) {
      const gap = new Uint8Array(at[i]! + 4 - (at[i - 1]! + 4 + payloads[i - 1]!.length));
      chunks.push(gap);
      new DataView(gap.buffer).setUint32(gap.length - 4, p.length, true);
    } else {
      new DataView(header.buffer).setUint32(at[0]!, p.length, true);
    }
    if (p.length) chunks.push(p);
  });
  return chunks;
}
