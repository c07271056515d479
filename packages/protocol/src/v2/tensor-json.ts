/**
 * One tensor object of an inference request or response (`{"name", "datatype", "shape",
 * "parameters", "data"}`), read and written; and the binary data that follows the JSON.
 */
import { byteLengthOf } from '../bytes.js';
import type { DType } from '../dtype.js';
import { GraphPipeError, invalidMessage } from '../errors.js';
import { countWithin, type DecodeLimits } from '../limits.js';
import { isWellFormed } from '../string-elements.js';
import type { Tensor } from '../tensor.js';
import { binaryChunks, shapeText, tensorFromBinary } from './binary.js';
import { datatypeOf, requireDtype } from './datatype.js';
import type { JsonObject, JsonReader } from './json-reader.js';
import { type ByteWriter, writeData } from './json-writer.js';
import { readData } from './tensor-data.js';

/** A named tensor of a request (`inputs`) or response (`outputs`). */
export interface NamedTensor {
  readonly name: string;
  readonly tensor: Tensor;
  /** Its `parameters`, as sent (binary_data_size included). */
  readonly parameters?: JsonObject;
}

/** Text for messages, made only when a message needs it. */
export type Label = string | { toString(): string };

/** How messages name a tensor: `input "x"`, or `inputs[0]` until its name is known. */
class TensorLabel {
  name: string | undefined;

  constructor(
    private readonly role: 'input' | 'output',
    private readonly index: number,
  ) {}

  // Only a message calls it, at most once per request: nothing to keep.
  toString(): string {
    return this.name === undefined ? `${this.role}s[${this.index}]` : `${this.role} ${JSON.stringify(this.name)}`;
  }
}

/** A tensor object as read, its data still to be placed when it comes after the JSON. */
interface TensorObject {
  readonly what: Label;
  readonly name: string;
  readonly datatype: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly count: number;
  readonly parameters: JsonObject | undefined;
  readonly binarySize: number | undefined;
  /** The data read as it came, or where in the JSON it starts when it came before the shape or datatype. */
  readonly data: Tensor['data'] | number | undefined;
}

export function invalidArgument(message: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', message);
}

/** An object value, or a message saying what (`what`, and its `field`) should have been one. */
export function objectValue(r: JsonReader, what: Label, field?: string): JsonObject {
  const at = r.pos;
  const v = r.value();
  if (typeof v !== 'object' || v === null || Array.isArray(v)) r.fail(`${named(what, field)} must be an object`, at);
  return v as JsonObject;
}

export function stringValue(r: JsonReader, what: Label, field?: string): string {
  if (r.peek() !== 0x22) r.fail(`${named(what, field)} must be a string`);
  return r.string();
}

/** `input "x": shape` */
function named(what: Label, field: string | undefined): string {
  return field === undefined ? `${what}` : `${what}: ${field}`;
}

/** Reads the tensor objects of an `inputs`/`outputs` array, at most `limits.maxTensors`. */
export function readTensorObjects(r: JsonReader, role: 'input' | 'output', limits: DecodeLimits): TensorObject[] {
  const out: TensorObject[] = [];
  for (let more = r.firstItem(), i = 0; more; more = r.nextItem(), i++) {
    if (i >= limits.maxTensors) throw invalidMessage(`more than ${limits.maxTensors} ${role}s`);
    out.push(readTensorObject(r, role, i, limits));
  }
  return out;
}

function readTensorObject(r: JsonReader, role: 'input' | 'output', index: number, limits: DecodeLimits): TensorObject {
  const what = new TensorLabel(role, index);
  let datatype: string | undefined;
  let dtype: DType | undefined;
  let shape: number[] | undefined;
  let count = 0;
  let parameters: JsonObject | undefined;
  let data: Tensor['data'] | number | undefined;
  for (let key = r.firstKey(); key !== undefined; key = r.nextKey()) {
    switch (key) {
      case 'name':
        what.name = stringValue(r, what, 'name');
        break;
      case 'datatype':
        datatype = stringValue(r, what, 'datatype');
        dtype = requireDtype(datatype, what);
        break;
      case 'shape':
        shape = readShape(r, what, limits);
        count = countWithin(shape, limits.maxElements);
        if (count < 0) {
          throw invalidArgument(
            `${what}: shape ${shapeText(shape)} exceeds the limit of ${limits.maxElements} elements`,
          );
        }
        break;
      case 'parameters':
        parameters = objectValue(r, what, 'parameters');
        break;
      case 'data':
        // Read in place when the shape and datatype came first (as clients write them), else later.
        data = dtype && shape ? readData(r, dtype, shape, count, what, datatype!) : r.skipArray();
        break;
      default:
        r.value();
    }
  }
  const { name } = what;
  if (name === undefined) throw invalidMessage(`${what} has no name`);
  if (datatype === undefined || dtype === undefined) throw invalidMessage(`${what} has no datatype`);
  if (shape === undefined) throw invalidMessage(`${what} has no shape`);
  const binarySize = binaryDataSize(parameters, what);
  if (binarySize !== undefined && data !== undefined) {
    throw invalidMessage(`${what} has both data and parameters.binary_data_size; send one`);
  }
  if (binarySize === undefined && data === undefined) {
    throw invalidMessage(`${what} has neither data nor parameters.binary_data_size`);
  }
  return { what, name, datatype, dtype, shape, count, parameters, binarySize, data };
}

function readShape(r: JsonReader, what: Label, limits: DecodeLimits): number[] {
  const shape: number[] = [];
  if (r.peek() !== 0x5b) r.fail(`${what}: shape must be an array of whole numbers`);
  for (let more = r.firstItem(); more; more = r.nextItem()) {
    if (shape.length >= limits.maxRank)
      throw invalidArgument(`${what}: shape has more than ${limits.maxRank} dimensions`);
    r.peek();
    const at = r.pos;
    const d = r.scanNumber();
    if (d === undefined || !Number.isSafeInteger(d) || d < 0) {
      r.fail(`${what}: shape must be an array of whole numbers of at least 0`, at);
    }
    shape.push(d);
  }
  return shape;
}

function binaryDataSize(parameters: JsonObject | undefined, what: Label): number | undefined {
  const size = parameters?.binary_data_size;
  if (size === undefined) return undefined;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalidMessage(`${what}: binary_data_size must be a whole number of bytes, got ${JSON.stringify(size)}`);
  }
  return size;
}

/**
 * The tensors of a message: data read from the JSON (those that came before their shape and
 * datatype are read now), binary data taken from `body` after `jsonLength` bytes, in order.
 * `hasHeader`: whether Inference-Header-Content-Length said where the JSON ends.
 */
export function placeTensors(
  objects: readonly TensorObject[],
  r: JsonReader,
  body: Uint8Array,
  jsonLength: number,
  hasHeader: boolean,
): NamedTensor[] {
  let at = jsonLength;
  const out = new Array<NamedTensor>(objects.length);
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i]!;
    let data: Tensor['data'];
    if (o.binarySize !== undefined) {
      if (!hasHeader) {
        throw invalidMessage(
          `${o.what} has binary_data_size but the message has no Inference-Header-Content-Length header to say where its JSON ends`,
        );
      }
      if (o.binarySize > body.length - at) {
        throw invalidMessage(
          `${o.what}: binary_data_size of ${o.binarySize} bytes runs past the end of the body (${body.length - at} bytes left)`,
        );
      }
      data = tensorFromBinary(body, at, o.binarySize, o.dtype, o.shape, o.count, o.what, o.datatype).data;
      at += o.binarySize;
    } else if (typeof o.data === 'number') {
      r.pos = o.data;
      data = readData(r, o.dtype, o.shape, o.count, o.what, o.datatype);
    } else {
      data = o.data!;
    }
    const tensor = { dtype: o.dtype, shape: o.shape, data } as Tensor;
    out[i] = o.parameters ? { name: o.name, tensor, parameters: o.parameters } : { name: o.name, tensor };
  }
  if (hasHeader && at !== body.length) {
    throw invalidMessage(
      `${body.length - at} bytes follow the binary data the tensors declare; binary_data_size must account for every byte after the JSON`,
    );
  }
  return out;
}

/** A byte length as Inference-Header-Content-Length gives it. */
const LENGTH = /^\d{1,15}$/;

/**
 * Where the binary part of a body with this Inference-Header-Content-Length starts, for reading
 * the body with that offset 8-aligned (so binary tensors decode as views): 0 when the header is
 * missing or malformed, which the decoder then reports (see jsonLengthOf).
 */
export function binaryOffsetOf(header: string | null | undefined): number {
  const text = header?.trim();
  return text !== undefined && LENGTH.test(text) ? Number(text) : 0;
}

/**
 * Where the JSON ends: all of the body without the header, else the header's value, which must
 * be a whole number no larger than the body.
 */
export function jsonLengthOf(header: string | null | undefined, bodyLength: number): number | undefined {
  if (header === undefined || header === null) return undefined;
  const text = header.trim();
  if (!LENGTH.test(text)) {
    throw invalidMessage(
      `Inference-Header-Content-Length must be a whole number of bytes, got ${JSON.stringify(header.slice(0, 40))}`,
    );
  }
  const length = Number(text);
  if (length > bodyLength) {
    throw invalidMessage(`Inference-Header-Content-Length of ${length} is past the end of the ${bodyLength}-byte body`);
  }
  return length;
}

// ignoreBOM: a string's leading U+FEFF is its own, not a marker to drop.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A tensor's elements as JSON can carry them: strings for BYTES (undefined when an element is
 * not UTF-8 text), and nothing for FP16, which has no JSON form.
 */
function jsonForm(t: Tensor): { strings?: string[] } | undefined {
  if (t.dtype === 'float16') return undefined;
  if (t.dtype !== 'string') return {};
  const strings = new Array<string>(t.data.length);
  for (let i = 0; i < strings.length; i++) {
    const s = t.data[i]!;
    if (typeof s === 'string') {
      // A lone surrogate has no bytes: the binary form refuses it, naming the element.
      if (!isWellFormed(s)) return undefined;
      strings[i] = s;
    } else {
      try {
        strings[i] = utf8.decode(s);
      } catch {
        return undefined;
      }
    }
  }
  return { strings };
}

/**
 * Writes one tensor object. As JSON `data` unless `binary` is asked, or the tensor has no JSON
 * form (FP16, or BYTES that are not UTF-8 text): then its chunks are appended to `binaryParts`
 * and the object says their size. Returns whether it went as binary data.
 */
export function writeTensorObject(
  w: ByteWriter,
  name: string,
  t: Tensor,
  binary: boolean,
  binaryParts: Uint8Array[],
): boolean {
  w.ascii('{"name":');
  w.string(name);
  w.ascii(`,"datatype":"${datatypeOf(t.dtype)}","shape":[${t.shape.join(',')}],`);
  const json = binary ? undefined : jsonForm(t);
  if (json) {
    w.ascii('"data":');
    writeData(w, t, json.strings);
    w.ascii('}');
    return false;
  }
  const chunks = binaryChunks(t);
  binaryParts.push(...chunks);
  w.ascii(`"parameters":{"binary_data_size":${byteLengthOf(chunks)}}}`);
  return true;
}
