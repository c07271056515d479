/**
 * The tables of schema/graphpipe.fbs as the reader and the writer both see them: each field's
 * id (its position, which fixes its vtable slot) and its inline width in bytes. The order of
 * the entries is the schema's field order; a test checks it against the generated code.
 */

const U8 = 1; // ubyte and enums
const I64 = 8; // long
const REF = 4; // strings, vectors, tables and unions: a uoffset

export interface TableLayout<F extends string> {
  /** Field id by name. */
  readonly id: { readonly [K in F]: number };
  /** Inline width of every field, by id. */
  readonly widths: readonly number[];
}

function table<const F extends Record<string, number>>(fields: F): TableLayout<Extract<keyof F, string>> {
  const names = Object.keys(fields);
  return {
    id: Object.fromEntries(names.map((name, i) => [name, i])) as { [K in Extract<keyof F, string>]: number },
    widths: Object.values(fields),
  };
}

/** The widths with some fields left out (width 0: the field is absent from the table). */
export function without<F extends string>(layout: TableLayout<F>, ...fields: F[]): number[] {
  const widths = [...layout.widths];
  for (const f of fields) widths[layout.id[f]] = 0;
  return widths;
}

export const REQUEST = table({ reqType: U8, req: REF });
/** The `Req` union's type tags. */
export const REQ = { none: 0, infer: 1, metadata: 2 } as const;
export const INFER_REQUEST = table({ config: REF, inputNames: REF, inputTensors: REF, outputNames: REF });
export const METADATA_REQUEST = table({});
export const TENSOR = table({ type: U8, shape: REF, data: REF, stringVal: REF });
export const INFER_RESPONSE = table({ outputTensors: REF, errors: REF });
export const ERROR = table({ code: I64, message: REF });
export const METADATA_RESPONSE = table({
  name: REF,
  version: REF,
  server: REF,
  description: REF,
  inputs: REF,
  outputs: REF,
});
export const IO_METADATA = table({ name: REF, description: REF, shape: REF, type: U8 });
