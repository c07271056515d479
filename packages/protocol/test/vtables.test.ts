import { encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import { expect, test } from 'vitest';

/** A table's vtable as written: its own size, the table's inline size, and each field's offset. */
function vtableOf(bytes: Uint8Array, table: number) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vtable = table - view.getInt32(table, true);
  const size = view.getUint16(vtable, true);
  const fields: number[] = [];
  for (let at = vtable + 4; at < vtable + size; at += 2) fields.push(view.getUint16(at, true));
  return { size, tableSize: view.getUint16(vtable + 2, true), fields };
}

const root = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);

// Fields are laid out widest first after the 4-byte soffset: the sizes below follow from the schema.
test('vtables give each table its inline size and each field its offset, widest fields first', () => {
  const t = tensor(new Float32Array([1, 2, 3, 4]), [1, 4]);
  // InferResponse: outputTensors and errors, two uoffsets.
  const response = encodeInferResponse({ outputs: [t] });
  expect(vtableOf(response, root(response))).toEqual({ size: 8, tableSize: 12, fields: [4, 8] });
  // Request: the ubyte union tag after the uoffset to the union's table.
  const request = encodeInferRequest({ inputs: [t] });
  expect(vtableOf(request, root(request))).toEqual({ size: 8, tableSize: 9, fields: [8, 4] });
});
