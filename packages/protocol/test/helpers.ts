// Shared test helpers: fixtures, normalisation, an independent reader built on the generated
// flatc accessors, and a crafting kit (the flatbuffers Builder) for hostile messages.
import { readFileSync } from 'node:fs';
import * as flatbuffers from 'flatbuffers';
import { expect } from 'vitest';
import {
  dtypeFromWire,
  isGraphPipeError,
  typedArrayFor,
  type GraphPipeError,
  type NumericDType,
  type TypedArray,
} from '@graphpipe/protocol';
import {
  Error as GenError,
  InferRequest as GenInferRequest,
  InferResponse as GenInferResponse,
  IOMetadata as GenIOMetadata,
  MetadataResponse as GenMetadataResponse,
  Req,
  Request as GenRequest,
  Tensor as GenTensor,
} from '../src/gen/graphpipe.js';

/** A conformance vector, copied into a fresh ArrayBuffer at byteOffset 0 (so alignment is the file's own). */
export function vector(name: string): Uint8Array {
  const file = readFileSync(new URL(`../../../conformance/${name}`, import.meta.url));
  const out = new Uint8Array(file.byteLength);
  out.set(file);
  return out;
}

/** A copy of `bytes` placed at `offset` inside a larger ArrayBuffer. */
export function placeAt(bytes: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(offset + bytes.byteLength + 8), offset, bytes.byteLength);
  out.set(bytes);
  return out;
}

export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** The element type and exact bytes of a typed array, so NaN payloads and -0 compare bit for bit. */
export interface NormalArray {
  readonly array: string;
  readonly bytes: number[];
}

/**
 * Turns a decoded message into plain data: every typed array becomes its constructor name and
 * its bytes. Two decodings of the same message normalise to deep-equal values.
 */
export function normalize(value: unknown): unknown {
  if (ArrayBuffer.isView(value))
    return { array: value.constructor.name, bytes: Array.from(bytesOf(value)) } satisfies NormalArray;
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: GraphPipeError };

/** Runs a decode; a GraphPipeError INVALID_MESSAGE is an outcome, anything else thrown fails the test. */
export function outcome<T>(decode: () => T): Outcome<T> {
  try {
    return { ok: true, value: decode() };
  } catch (e) {
    if (isGraphPipeError(e) && e.code === 'INVALID_MESSAGE') return { ok: false, error: e };
    throw new Error(`decoder threw something other than INVALID_MESSAGE: ${String(e)}`, { cause: e });
  }
}

/** Asserts that `decode` throws a GraphPipeError with code INVALID_MESSAGE, and returns it. */
export function expectInvalid(decode: () => unknown, message?: RegExp): GraphPipeError {
  const result = outcome(decode);
  if (result.ok)
    expect.fail(`expected INVALID_MESSAGE, but decoding succeeded: ${JSON.stringify(normalize(result.value))}`);
  expect(result.error.code).toBe('INVALID_MESSAGE');
  expect(result.error.status).toBe(400);
  if (message) expect(result.error.message).toMatch(message);
  return result.error;
}

// ---------------------------------------------------------------------------------------------
// An independent decoder on flatc's generated accessors, producing the same normalised shape as
// normalize(decodeX(bytes)). It trusts its input, so use it on valid buffers only.

const bb = (bytes: Uint8Array) => new flatbuffers.ByteBuffer(bytes);

function genTensor(t: GenTensor): unknown {
  const dtype = dtypeFromWire(t.type());
  const shape = Array.from({ length: t.shapeLength() }, (_, i) => Number(t.shape(i)));
  if (dtype === 'string') {
    const data = Array.from({ length: t.stringValLength() }, (_, i) => t.stringVal(i, flatbuffers.Encoding.UTF8_BYTES));
    return { dtype, shape, data: data.map(normalize) };
  }
  const raw = t.dataArray() ?? new Uint8Array(0);
  return { dtype, shape, data: { array: typedArrayFor(dtype as NumericDType).name, bytes: Array.from(raw) } };
}

function genStrings(length: number, at: (i: number) => string): string[] {
  return Array.from({ length }, (_, i) => at(i));
}

export function genRequest(bytes: Uint8Array): unknown {
  const r = GenRequest.getRootAsRequest(bb(bytes));
  if (r.reqType() !== Req.InferRequest) return { kind: 'metadata' };
  const ir = r.req(new GenInferRequest()) as GenInferRequest;
  return {
    kind: 'infer',
    config: ir.config() ?? '',
    inputNames: genStrings(ir.inputNamesLength(), (i) => ir.inputNames(i)),
    inputs: Array.from({ length: ir.inputTensorsLength() }, (_, i) => genTensor(ir.inputTensors(i)!)),
    outputNames: genStrings(ir.outputNamesLength(), (i) => ir.outputNames(i)),
  };
}

export function genInferResponse(bytes: Uint8Array): unknown {
  const r = GenInferResponse.getRootAsInferResponse(bb(bytes));
  return {
    outputs: Array.from({ length: r.outputTensorsLength() }, (_, i) => genTensor(r.outputTensors(i)!)),
    errors: Array.from({ length: r.errorsLength() }, (_, i) => {
      const e = r.errors(i, new GenError())!;
      return { code: Number(e.code()), message: e.message() ?? '' };
    }),
  };
}

function genIO(io: GenIOMetadata): unknown {
  return {
    name: io.name() ?? '',
    description: io.description() ?? '',
    // flatc's accessors read an absent vector as empty; the vtable slot of field 2 tells them apart.
    shape:
      io.bb!.__offset(io.bb_pos, 8) === 0
        ? undefined
        : Array.from({ length: io.shapeLength() }, (_, i) => Number(io.shape(i))),
    dtype: dtypeFromWire(io.type()),
  };
}

export function genMetadataResponse(bytes: Uint8Array): unknown {
  const m = GenMetadataResponse.getRootAsMetadataResponse(bb(bytes));
  return {
    name: m.name() ?? '',
    version: m.version() ?? '',
    server: m.server() ?? '',
    description: m.description() ?? '',
    inputs: Array.from({ length: m.inputsLength() }, (_, i) => genIO(m.inputs(i)!)),
    outputs: Array.from({ length: m.outputsLength() }, (_, i) => genIO(m.outputs(i)!)),
  };
}

export function genBareTensor(bytes: Uint8Array): unknown {
  return genTensor(GenTensor.getRootAsTensor(bb(bytes)));
}

// ---------------------------------------------------------------------------------------------
// Crafting arbitrary (possibly inconsistent) messages with flatc's generated builders.

export interface CraftTensor {
  type?: number;
  shape?: readonly (number | bigint)[];
  data?: Uint8Array;
  strings?: readonly (Uint8Array | string)[];
}

function craftTensor(b: flatbuffers.Builder, t: CraftTensor): flatbuffers.Offset {
  const strings =
    t.strings &&
    GenTensor.createStringValVector(
      b,
      t.strings.map((s) => b.createString(s)),
    );
  const shape =
    t.shape &&
    GenTensor.createShapeVector(
      b,
      t.shape.map((d) => BigInt(d)),
    );
  const data = t.data && GenTensor.createDataVector(b, t.data);
  GenTensor.startTensor(b);
  if (t.type !== undefined) GenTensor.addType(b, t.type);
  if (shape !== undefined) GenTensor.addShape(b, shape);
  if (data !== undefined) GenTensor.addData(b, data);
  if (strings !== undefined) GenTensor.addStringVal(b, strings);
  return GenTensor.endTensor(b);
}

function finish(b: flatbuffers.Builder, root: flatbuffers.Offset): Uint8Array {
  b.finish(root);
  return b.asUint8Array().slice();
}

export function craftRequest(tensors: readonly CraftTensor[], names: { input?: readonly string[] } = {}): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const offs = tensors.map((t) => craftTensor(b, t));
  const list = GenInferRequest.createInputTensorsVector(b, offs);
  const inputNames =
    names.input &&
    GenInferRequest.createInputNamesVector(
      b,
      names.input.map((n) => b.createString(n)),
    );
  GenInferRequest.startInferRequest(b);
  GenInferRequest.addInputTensors(b, list);
  if (inputNames !== undefined) GenInferRequest.addInputNames(b, inputNames);
  const ir = GenInferRequest.endInferRequest(b);
  return finish(b, GenRequest.createRequest(b, Req.InferRequest, ir));
}

export function craftTensorRoot(t: CraftTensor): Uint8Array {
  const b = new flatbuffers.Builder(256);
  return finish(b, craftTensor(b, t));
}

export function craftInferResponse(
  tensors: readonly CraftTensor[],
  errors: readonly { code: bigint; message: string }[] = [],
): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const offs = tensors.map((t) => craftTensor(b, t));
  const errs = errors.map((e) => GenError.createError(b, e.code, b.createString(e.message)));
  const outList = GenInferResponse.createOutputTensorsVector(b, offs);
  const errList = GenInferResponse.createErrorsVector(b, errs);
  return finish(b, GenInferResponse.createInferResponse(b, outList, errList));
}

export function craftMetadataResponse(ios: readonly { shape: readonly bigint[]; type: number }[]): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const offs = ios.map((io, i) =>
    GenIOMetadata.createIOMetadata(
      b,
      b.createString(`io${i}`),
      0,
      GenIOMetadata.createShapeVector(b, [...io.shape]),
      io.type,
    ),
  );
  const inputs = GenMetadataResponse.createInputsVector(b, offs);
  GenMetadataResponse.startMetadataResponse(b);
  GenMetadataResponse.addInputs(b, inputs);
  return finish(b, GenMetadataResponse.endMetadataResponse(b));
}

// ---------------------------------------------------------------------------------------------
// Locating fields inside a valid buffer (for patching), again through the generated runtime.

export interface TensorLayout {
  /** Position of the table (its soffset). */
  readonly table: number;
  readonly vtable: number;
  /** Position of the `type` byte, or 0 when absent. */
  readonly type: number;
  /** Position of the uoffset field of each vector, and each vector's length prefix (0 when absent). */
  readonly shapeField: number;
  readonly shapeLen: number;
  readonly dataField: number;
  readonly dataLen: number;
  readonly stringValField: number;
  readonly stringValLen: number;
}

function layoutOf(t: GenTensor): TensorLayout {
  const buf = t.bb!;
  const pos = t.bb_pos;
  const field = (vt: number) => (buf.__offset(pos, vt) ? pos + buf.__offset(pos, vt) : 0);
  const len = (vt: number) => (field(vt) ? buf.__vector(field(vt)) - 4 : 0);
  return {
    table: pos,
    vtable: pos - buf.readInt32(pos),
    type: field(4),
    shapeField: field(6),
    shapeLen: len(6),
    dataField: field(8),
    dataLen: len(8),
    stringValField: field(10),
    stringValLen: len(10),
  };
}

export function requestTensorLayout(bytes: Uint8Array, i: number): TensorLayout {
  const ir = GenRequest.getRootAsRequest(bb(bytes)).req(new GenInferRequest()) as GenInferRequest;
  return layoutOf(ir.inputTensors(i)!);
}

export function responseTensorLayout(bytes: Uint8Array, i: number): TensorLayout {
  return layoutOf(GenInferResponse.getRootAsInferResponse(bb(bytes)).outputTensors(i)!);
}

export function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The typed array of a numeric tensor (fails the test for a String tensor). */
export function dataOf(t: { dtype: string; data: unknown }): TypedArray {
  if (t.dtype === 'string') throw new Error('expected a numeric tensor');
  return t.data as TypedArray;
}
