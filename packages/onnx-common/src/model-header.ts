/**
 * Reads the descriptive fields of an ONNX ModelProto (doc string, model version, metadata props)
 * straight from the protobuf wire format, because onnxruntime does not expose them.
 * Only top-level fields are visited; the graph, which holds nearly all the bytes, is skipped by its
 * length, so a model file can be read a few bytes at a time instead of loaded a second time.
 */

export interface ModelHeader {
  docString?: string;
  modelVersion?: number;
  producerName?: string;
  /** A Map, not an object: keys come from the file, and one such as `__proto__` must stay a key. */
  metadataProps: Map<string, string>;
}

/** Positional reads from a file or from bytes in memory. */
export interface ByteSource {
  readonly size: number;
  read(position: number, length: number): Uint8Array;
}

// ModelProto field numbers (onnx.proto).
const PRODUCER_NAME = 2;
const MODEL_VERSION = 5;
const DOC_STRING = 6;
const METADATA_PROPS = 14;
// StringStringEntryProto field numbers.
const KEY = 1;
const VALUE = 2;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const utf8 = new TextDecoder('utf-8');

export function bytesSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, read: (position, length) => bytes.subarray(position, position + length) };
}

/**
 * The header, or none when the bytes cannot be read as one: name, version and description are
 * niceties, so a model onnxruntime accepts must not fail over them.
 */
export function modelHeaderOr(read: () => ModelHeader): ModelHeader {
  try {
    return read();
  } catch {
    return { metadataProps: new Map() };
  }
}

/** onnxruntime also loads its own flatbuffer format (".ort"), which is not a ModelProto. */
function isOrtFormat(src: ByteSource): boolean {
  return src.size >= 8 && utf8.decode(src.read(4, 4)) === 'ORTM';
}

export function parseModelHeader(src: ByteSource): ModelHeader {
  const header: ModelHeader = { metadataProps: new Map() };
  if (isOrtFormat(src)) return header;
  let pos = 0;
  while (pos < src.size) {
    const tag = readVarint(src, pos);
    pos = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (wire === WIRE_VARINT) {
      const v = readVarint(src, pos);
      if (field === MODEL_VERSION) header.modelVersion = v.value;
      pos = v.next;
    } else if (wire === WIRE_LEN) {
      const len = readVarint(src, pos);
      pos = len.next;
      if (field === PRODUCER_NAME) header.producerName = utf8.decode(src.read(pos, len.value));
      else if (field === DOC_STRING) header.docString = utf8.decode(src.read(pos, len.value));
      else if (field === METADATA_PROPS) addEntry(header.metadataProps, src.read(pos, len.value));
      pos += len.value;
    } else if (wire === WIRE_I64) {
      pos += 8;
    } else if (wire === WIRE_I32) {
      pos += 4;
    } else {
      throw new Error(`unexpected protobuf wire type ${wire} at byte ${pos}`);
    }
  }
  return header;
}

function addEntry(into: Map<string, string>, entry: Uint8Array): void {
  const src = bytesSource(entry);
  let key = '';
  let value = '';
  let pos = 0;
  while (pos < entry.length) {
    const tag = readVarint(src, pos);
    if (tag.value % 8 !== WIRE_LEN) throw new Error('malformed metadata_props entry');
    const len = readVarint(src, tag.next);
    const text = utf8.decode(entry.subarray(len.next, len.next + len.value));
    if (tag.value >> 3 === KEY) key = text;
    else if (tag.value >> 3 === VALUE) value = text;
    pos = len.next + len.value;
  }
  into.set(key, value);
}

/** A base-128 varint as a JS number (exact below 2^53, which covers every length and version here). */
function readVarint(src: ByteSource, pos: number): { value: number; next: number } {
  const bytes = src.read(pos, 10);
  let value = 0;
  let scale = 1;
  for (let i = 0; i < bytes.length; i++) {
    value += (bytes[i]! & 0x7f) * scale;
    if (bytes[i]! < 0x80) return { value, next: pos + i + 1 };
    scale *= 128;
  }
  throw new Error(`truncated varint at byte ${pos}`);
}
