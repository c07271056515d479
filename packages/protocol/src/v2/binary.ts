/**
 * The binary tensor data extension: tensors as raw little-endian bytes after the JSON, row-major,
 * no padding; BOOL one byte each; BYTES as a 4-byte little-endian length and the bytes, per
 * element. Reading hands out views of the received bytes (copying a tensor only when its offset
 * is not aligned for its element type, as GraphPipe's decoder does); writing hands out the
 * tensors' own memory as chunks.
 */
import { type DType, elementSize, typedArrayFor } from '../dtype.js';
import { GraphPipeError } from '../errors.js';
import { elementBytes } from '../string-elements.js';
import type { Tensor } from '../tensor.js';

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function invalid(message: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', message);
}

/**
 * The tensor whose binary data is `bytes[start, start + size)`. `what` names it in errors
 * (`input "x"`); `datatype` is its protocol name, for messages.
 */
export function tensorFromBinary(
  bytes: Uint8Array,
  start: number,
  size: number,
  dtype: DType,
  shape: readonly number[],
  count: number,
  /** Names the tensor in messages (made into text only for one). */
  what: { toString(): string },
  datatype: string,
): Tensor {
  if (dtype === 'string') return { dtype, shape, data: readByteElements(bytes, start, size, count, what) };
  const width = elementSize(dtype);
  if (size !== count * width) {
    throw invalid(
      `${what}: binary_data_size is ${size} but a ${datatype} tensor of shape ${shapeText(shape)} has ${count * width} bytes`,
    );
  }
  const ArrayType = typedArrayFor(dtype);
  const offset = bytes.byteOffset + start;
  let data: InstanceType<typeof ArrayType>;
  // A view when aligned for the element type; a copy otherwise (all JS hosts are little-endian).
  if (offset % width === 0) data = new ArrayType(bytes.buffer, offset, count);
  else {
    data = new ArrayType(count);
    new Uint8Array(data.buffer).set(bytes.subarray(start, start + size));
  }
  if (dtype === 'bool') checkBools(data as Uint8Array, what);
  return { dtype, shape, data } as Tensor;
}

/** BOOL elements are the bytes 0 and 1; anything else would reach the model as neither. */
export function checkBools(data: Uint8Array, what: { toString(): string }): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i]! > 1) throw invalid(`${what}: BOOL element ${i} is the byte ${data[i]}; use 0 (false) or 1 (true)`);
  }
}

/** BYTES elements: each a 4-byte little-endian length and that many bytes, exactly filling `size`. */
function readByteElements(
  bytes: Uint8Array,
  start: number,
  size: number,
  count: number,
  what: { toString(): string },
): Uint8Array[] {
  // Every element takes at least its 4-byte length: bound the count before allocating for it.
  if (count * 4 > size) {
    throw invalid(`${what}: ${size} bytes of BYTES data cannot hold the ${count} elements its shape needs`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = start + size;
  const out = new Array<Uint8Array>(count);
  let at = start;
  for (let i = 0; i < count; i++) {
    if (at + 4 > end) throw invalid(`${what}: BYTES element ${i} has no room for its 4-byte length`);
    const length = view.getUint32(at, true);
    at += 4;
    if (length > end - at) {
      throw invalid(`${what}: BYTES element ${i} claims ${length} bytes but only ${end - at} remain`);
    }
    out[i] = bytes.subarray(at, at + length);
    at += length;
  }
  if (at !== end) throw invalid(`${what}: ${end - at} bytes are left after its ${count} BYTES elements`);
  return out;
}

/** A tensor's binary data as chunks: its own memory for fixed-size types, one new buffer for BYTES. */
export function binaryChunks(t: Tensor): Uint8Array[] {
  if (t.dtype !== 'string') {
    const d = t.data;
    return d.byteLength ? [new Uint8Array(d.buffer, d.byteOffset, d.byteLength)] : [];
  }
  return [lengthPrefixed(t.data)];
}

/** BYTES elements as the extension lays them out: each after its length, 4 bytes little-endian. */
export function lengthPrefixed(elements: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = elements.map((s, i) => elementBytes(s, 'a BYTES tensor', i));
  let size = 0;
  for (const p of parts) size += 4 + p.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length, true);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}
