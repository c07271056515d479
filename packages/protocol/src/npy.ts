import { elementSize, type NumericDType, typedArrayFor } from './dtype.js';
import { GraphPipeError } from './errors.js';
import { byteValues } from './string-elements.js';
import { elementCount, type Tensor, tensor } from './tensor.js';

/**
 * NumPy's .npy format (versions 1-3), the usual way Python users hand tensors around.
 * Little-endian numeric arrays in C order; fixed-width unicode ('<U') and bytes ('|S') arrays
 * map to String tensors. Web APIs only, so browsers and the CLI read and write the same files.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_BY_DTYPE: Record<NumericDType, string> = {
  uint8: '|u1',
  int8: '|i1',
  uint16: '<u2',
  int16: '<i2',
  uint32: '<u4',
  int32: '<i4',
  uint64: '<u8',
  int64: '<i8',
  float16: '<f2',
  float32: '<f4',
  float64: '<f8',
  bool: '|b1',
};
const DTYPE_BY_DESCR = new Map<string, NumericDType>(
  Object.entries(DESCR_BY_DTYPE).flatMap(([dtype, descr]) => [
    [descr, dtype as NumericDType],
    // One-byte types are also written with '<' or '=' by some writers.
    [descr.replace('|', '<'), dtype as NumericDType],
    [descr.replace(/^[<|]/, '='), dtype as NumericDType],
  ]),
);

/** A tensor from a .npy file's bytes; a file it cannot read throws INVALID_ARGUMENT, saying why. */
export function parseNpy(bytes: Uint8Array): Tensor {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw invalid('not a .npy file (bad magic)');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, headerStart + headerLength),
  );
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw invalid(`malformed .npy header: ${header.trim()}`);
  if (fortran === 'True') throw invalid('Fortran-order .npy arrays are not supported; save with np.ascontiguousarray');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const body = bytes.subarray(headerStart + headerLength);
  const count = elementCount(shape);

  const text = /^[<|=]?([US])(\d+)$/.exec(descr);
  if (text) return tensor(readFixedStrings(body, count, text[1] as 'U' | 'S', Number(text[2])), shape, 'string');
  const dtype = DTYPE_BY_DESCR.get(descr);
  if (!dtype)
    throw invalid(`unsupported .npy dtype '${descr}' (big-endian, complex and object arrays are not supported)`);
  const size = elementSize(dtype);
  if (body.length < count * size)
    throw invalid(`.npy data is ${body.length} bytes, shape (${shape.join(', ')}) needs ${count * size}`);
  const ArrayType = typedArrayFor(dtype);
  // Copy into a fresh buffer: the header length leaves the data unaligned for wide types.
  const data = new ArrayType(count);
  new Uint8Array(data.buffer).set(body.subarray(0, count * size));
  return tensor(data, shape, dtype);
}

function readFixedStrings(body: Uint8Array, count: number, kind: 'U' | 'S', width: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const stride = kind === 'U' ? width * 4 : width;
  const encoder = new TextEncoder();
  for (let i = 0; i < count; i++) {
    const cell = body.subarray(i * stride, (i + 1) * stride);
    if (kind === 'S') {
      // NumPy pads bytes_ cells with NULs and drops trailing ones; NULs inside are the element's.
      let end = cell.length;
      while (end > 0 && cell[end - 1] === 0) end--;
      out.push(cell.slice(0, end));
    } else {
      const points = new Uint32Array(cell.slice().buffer);
      const end = points.indexOf(0);
      out.push(encoder.encode(String.fromCodePoint(...points.subarray(0, end < 0 ? points.length : end))));
    }
  }
  return out;
}

/** A tensor as a .npy file (version 1.0), as NumPy writes it. */
export function toNpy(t: Tensor): Uint8Array {
  let descr: string;
  let body: Uint8Array;
  if (t.dtype === 'string') {
    // Bytes arrays ('|S') keep arbitrary bytes exactly; NumPy reads them as dtype bytes_.
    const cells = byteValues(t);
    // The padding is NULs, so an element's own trailing NULs would not come back.
    const cut = cells.findIndex((c) => c.length > 0 && c[c.length - 1] === 0);
    if (cut >= 0) throw invalid(`String element ${cut} ends in a NUL byte, which a .npy bytes array cannot keep`);
    const width = Math.max(1, ...cells.map((c) => c.length));
    descr = `|S${width}`;
    body = new Uint8Array(width * cells.length);
    cells.forEach((c, i) => body.set(c, i * width));
  } else {
    descr = DESCR_BY_DTYPE[t.dtype as NumericDType];
    body = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  // Pad so the data starts 64-aligned, as NumPy does; the header ends with a newline.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = `${header.padEnd(total - 10 - 1, ' ')}\n`;
  const out = new Uint8Array(total + body.length);
  out.set(MAGIC);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, total);
  return out;
}

function invalid(message: string): GraphPipeError {
  return new GraphPipeError('INVALID_ARGUMENT', message);
}
