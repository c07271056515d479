import { existsSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import {
  ALL_DTYPES,
  DTYPES,
  GraphPipeError,
  STATUS_BY_CODE,
  WireType,
  byteLength,
  codeFromStatus,
  dtypeFromWire,
  dtypeOfArray,
  isTensor,
  elementCount,
  elementSize,
  invalidMessage,
  isDType,
  isGraphPipeError,
  displayStrings,
  tensor,
  typedArrayFor,
  wireFromDType,
  type DType,
  type GraphPipeErrorCode,
  type NumericDType,
  type TypedArray,
} from '@graphpipe/protocol';
import { DATATYPES, datatypeOf, dtypeOfDatatype } from '@graphpipe/protocol/v2';
import {
  InferRequest as GenInferRequest,
  InferResponse as GenInferResponse,
  Request as GenRequest,
  Tensor as GenTensor,
  Type,
} from '../src/gen/graphpipe.js';
import { REPO_ROOT } from '@graphpipe/test-utils';
import { vector } from './helpers.js';

// Every expectation here comes from a source other than src/dtype.ts: the schema the wire is
// defined by, the OIP v2 spec, the typed arrays themselves and the original implementations' bytes.
/** The `Type` enum of schema/graphpipe.fbs, name -> value (flatbuffers numbers members from 0). */
function schemaWireTypes(): Record<string, number> {
  const fbs = readFileSync(join(REPO_ROOT, 'schema/graphpipe.fbs'), 'utf8');
  const body = /enum\s+Type\s*:\s*ubyte\s*\{([^}]*)\}/.exec(fbs)?.[1];
  if (body === undefined) throw new Error('schema/graphpipe.fbs has no `enum Type : ubyte`');
  const names = body
    .split(',')
    .map((m) => m.replace(/\/\/.*$/gm, '').trim())
    .filter(Boolean);
  return Object.fromEntries(names.map((name, i) => [name, i]));
}

/** The datatype names the OIP v2 spec lists (CI checks shared/ out beside the clone, as here). */
function specDatatypes(): string[] {
  const path = join(REPO_ROOT, '../shared/spec/oip-v2.md');
  if (!existsSync(path)) throw new Error(`${path} is missing: check the shared/ specs out beside the repository`);
  const spec = readFileSync(path, 'utf8');
  const line = /^Datatypes:([\s\S]*?)\(Triton adds `([A-Z0-9]+)`\)/m.exec(spec);
  if (!line) throw new Error('oip-v2.md has no "Datatypes:" list');
  return [...line[1]!.matchAll(/`([A-Z0-9]+)`/g)].map((m) => m[1]!);
}

const WIRE = schemaWireTypes();
// A schema member's dtype is its name in lower case: Float32 -> float32.
const SCHEMA_DTYPES = Object.keys(WIRE)
  .filter((name) => name !== 'Null')
  .map((name) => [name.toLowerCase() as DType, WIRE[name]!] as const);

/** The typed array a dtype's name calls for: [Big]{Int,Uint,Float}<bits>Array; float16 is raw bits. */
function arrayNameFor(dtype: string): string {
  const [, kind, bits] = /^(uint|int|float)(\d+)$/.exec(dtype)!;
  if (dtype === 'float16') return 'Uint16Array';
  const base = `${kind![0]!.toUpperCase()}${kind!.slice(1)}${bits}Array`;
  return bits === '64' && kind !== 'float' ? `Big${base}` : base;
}

describe('dtype table', () => {
  it('the schema enum has thirteen members, Null first and String last', () => {
    expect(Object.keys(WIRE)).toHaveLength(13);
    expect([WIRE.Null, WIRE.String]).toEqual([0, 12]);
  });

  it('WireType and the flatc-generated Type are the schema enum, name by name', () => {
    expect(WireType).toEqual(WIRE);
    for (const [name, wire] of Object.entries(WIRE)) expect(Type[name as keyof typeof Type]).toBe(wire);
  });

  it.each(SCHEMA_DTYPES)('%s is wire %i both ways', (dtype, wire) => {
    expect(isDType(dtype)).toBe(true);
    expect(wireFromDType(dtype)).toBe(wire);
    expect(dtypeFromWire(wire)).toBe(dtype);
  });

  it('DTYPES lists the schema enum (Null aside), in wire order', () => {
    expect(DTYPES).toEqual(SCHEMA_DTYPES.map(([d]) => d));
  });

  it.each(SCHEMA_DTYPES.filter(([d]) => d !== 'string'))(
    "%s: the typed array its name calls for, and that array's BYTES_PER_ELEMENT",
    (dtype) => {
      const array = typedArrayFor(dtype as NumericDType);
      expect(array.name).toBe(arrayNameFor(dtype));
      expect(elementSize(dtype)).toBe(array.BYTES_PER_ELEMENT);
      expect(elementSize(dtype) * 8).toBe(Number(/\d+$/.exec(dtype)![0]));
    },
  );

  it('strings have no fixed element size', () => {
    expect(elementSize('string')).toBe(0);
  });

  it("OIP v2 datatypes are exactly the spec's list, less Triton's BF16, and map as the spec says", () => {
    const spec = specDatatypes();
    expect(spec).toHaveLength(13);
    expect([...DATATYPES].sort()).toEqual([...spec].sort());
    // "GraphPipe's dtypes map one to one (GraphPipe String <-> BYTES)", and BOOL is bool.
    const oipName = (dtype: string) => (dtype === 'string' ? 'BYTES' : dtype.toUpperCase().replace(/^FLOAT/, 'FP'));
    for (const dtype of ALL_DTYPES) {
      expect(datatypeOf(dtype)).toBe(oipName(dtype));
      expect(dtypeOfDatatype(oipName(dtype))).toBe(dtype);
    }
    expect(dtypeOfDatatype('BF16')).toBeUndefined();
  });

  it.each([
    // file, root, index of the tensor, what its README says the tensor is
    ['sample_request.bin', 'request', 0, 'Float32'],
    ['sample_string_request.bin', 'request', 0, 'String'],
    ['py_inferreq.bin', 'request', 0, 'String'],
    ['py_inferreq.bin', 'request', 1, 'Float64'],
    ['py_floats.bin', 'tensor', 0, 'Float64'],
    ['py_strings.bin', 'tensor', 0, 'String'],
    ['go_echo_infer_response.bin', 'response', 0, 'Float32'],
  ] as const)('the original %s (%s, tensor %i) carries %s as the schema numbers it', (file, root, i, name) => {
    const bytes = vector(file);
    // The type byte, read with no help from the code under test: the generated accessors.
    const bb = new flatbuffers.ByteBuffer(bytes);
    const t =
      root === 'tensor'
        ? GenTensor.getRootAsTensor(bb)
        : root === 'response'
          ? GenInferResponse.getRootAsInferResponse(bb).outputTensors(i)!
          : (GenRequest.getRootAsRequest(bb).req(new GenInferRequest()) as GenInferRequest).inputTensors(i)!;
    expect(t.type()).toBe(WIRE[name]);
    expect(dtypeFromWire(t.type())).toBe(name.toLowerCase());
  });

  it('Null, unknown and nonsense wire numbers have no dtype', () => {
    for (const wire of [0, 13, 14, 255, -1, 1.5, NaN]) expect(dtypeFromWire(wire)).toBeUndefined();
  });

  it('unknown dtype names are rejected', () => {
    for (const name of ['float', 'Float32', 'boolean', '', 'constructor', 'toString']) {
      expect(isDType(name)).toBe(false);
      expect(() => wireFromDType(name as DType)).toThrow(TypeError);
      expect(() => elementSize(name as DType)).toThrow(/unknown dtype/);
    }
    expect(isDType(undefined)).toBe(false);
    expect(isDType(10)).toBe(false);
  });

  it("bool: one byte per element in a Uint8Array, travelling as uint8 on GraphPipe's wire", () => {
    expect(isDType('bool')).toBe(true);
    expect(ALL_DTYPES).toEqual([...DTYPES, 'bool']);
    expect(DTYPES).not.toContain('bool');
    expect(elementSize('bool')).toBe(Uint8Array.BYTES_PER_ELEMENT);
    expect(typedArrayFor('bool')).toBe(Uint8Array);
    expect(wireFromDType('bool')).toBe(WIRE.Uint8);
    // The wire's Uint8 is still uint8: nothing GraphPipe sends decodes as bool.
    expect(dtypeFromWire(WIRE.Uint8!)).toBe('uint8');
  });

  it('dtypeOfArray: the dtype a typed array holds (Uint16Array reads as uint16)', () => {
    for (const [dtype] of SCHEMA_DTYPES) {
      if (dtype === 'string' || dtype === 'float16') continue;
      const Named = (globalThis as unknown as Record<string, new (n: number) => TypedArray>)[arrayNameFor(dtype)]!;
      expect(dtypeOfArray(new Named(1))).toBe(dtype);
    }
    expect(dtypeOfArray(new Uint16Array(1))).toBe('uint16');
    expect(() => dtypeOfArray(new Uint8ClampedArray(1) as unknown as TypedArray)).toThrow(
      /unsupported array type Uint8ClampedArray/,
    );
  });
});

describe('tensor()', () => {
  it("builds a tensor around the caller's data, without copying, and copies the shape", () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const shape = [2, 2];
    const t = tensor(data, shape);
    expect(t).toEqual({ dtype: 'float32', shape: [2, 2], data });
    expect(t.data).toBe(data);
    expect(t.shape).not.toBe(shape);
  });

  it('defaults the shape to one dimension holding all the data', () => {
    expect(tensor(new Int8Array(5)).shape).toEqual([5]);
    expect(tensor(['a', 'b'])).toEqual({ dtype: 'string', shape: [2], data: ['a', 'b'] });
  });

  it('infers every numeric dtype from its typed array', () => {
    expect(tensor(new BigInt64Array(2)).dtype).toBe('int64');
    expect(tensor(new BigUint64Array(2)).dtype).toBe('uint64');
    expect(tensor(new Float64Array(2)).dtype).toBe('float64');
    expect(tensor(new Uint16Array(2)).dtype).toBe('uint16');
  });

  it('takes raw bytes as String elements', () => {
    const t = tensor([new Uint8Array([0xff]), 'x'], [2]);
    expect(t.dtype).toBe('string');
    expect(displayStrings(t as never)).toEqual(['\ufffd', 'x']);
  });

  it('scalars and zero-size shapes', () => {
    expect(tensor(new Float64Array([7]), []).shape).toEqual([]);
    expect(tensor(new Uint8Array(0), [3, 0]).shape).toEqual([3, 0]);
    expect(() => tensor(new Float64Array(0), [])).toThrow(/needs 1 elements but the data has 0/);
  });

  it('rejects data whose length does not match the shape', () => {
    expect(() => tensor(new Float32Array(3), [2, 2])).toThrow(TypeError);
    expect(() => tensor(new Float32Array(3), [2, 2])).toThrow('shape [2, 2] needs 4 elements but the data has 3');
    expect(() => tensor(['a'], [2])).toThrow(/needs 2 elements/);
  });

  it('rejects invalid dimensions', () => {
    for (const d of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
      expect(() => tensor(new Uint8Array(0), [d, 0])).toThrow(/invalid dimension/);
    }
  });

  it('rejects a typed array of the wrong type for an explicit dtype', () => {
    expect(() => tensor(new Int32Array(2) as never, [2], 'float32')).toThrow(
      'dtype float32 does not match a Int32Array',
    );
    expect(() => tensor(new Uint16Array(2) as never, [2], 'int16')).toThrow(TypeError);
    expect(() => tensor(new BigInt64Array(2) as never, [2], 'uint64')).toThrow(TypeError);
  });

  it('float16 needs a Uint16Array of raw bits', () => {
    const bits = new Uint16Array([0x3c00, 0x7e00]);
    expect(tensor(bits, [2], 'float16')).toEqual({ dtype: 'float16', shape: [2], data: bits });
    expect(() => tensor(new Int16Array(2) as never, [2], 'float16')).toThrow(
      'float16 data must be a Uint16Array of raw half-precision bits',
    );
    expect(() => tensor(new Float32Array(2) as never, [2], 'float16')).toThrow(/Uint16Array/);
  });

  it('bool needs a Uint8Array of 0s and 1s', () => {
    const bits = new Uint8Array([1, 0]);
    expect(tensor(bits, [2], 'bool')).toEqual({ dtype: 'bool', shape: [2], data: bits });
    expect(() => tensor(new Int8Array(2) as never, [2], 'bool')).toThrow('bool data must be a Uint8Array of 0s and 1s');
  });

  it('rejects strings for a numeric dtype, a typed array for string, and unknown dtypes', () => {
    expect(() => tensor(['a'], [1], 'float32' as never)).toThrow('dtype float32 needs a typed array');
    expect(() => tensor(new Uint8Array(1) as never, [1], 'string')).toThrow(
      'dtype string needs an array of strings or Uint8Arrays',
    );
    expect(() => tensor(new Uint8Array(1), [1], 'bfloat16' as DType)).toThrow(/unknown dtype "bfloat16"/);
  });

  it('elementCount and byteLength', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([2, 3, 4])).toBe(24);
    expect(elementCount([5, 0])).toBe(0);
    for (const dtype of DTYPES) {
      if (dtype === 'string') continue;
      const Ctor = typedArrayFor(dtype as NumericDType);
      expect(byteLength({ dtype, shape: [2, 3], data: new Ctor(6) } as never)).toBe(6 * elementSize(dtype));
    }
    expect(byteLength(tensor(['abc']))).toBe(0);
  });
});

describe('isTensor()', () => {
  it('tells a tensor from a list or a record of tensors, whatever the record names its entries', () => {
    const t = tensor(new Float32Array([1, 2]));
    expect(isTensor(t)).toBe(true);
    expect(isTensor(tensor(['a'], [1]))).toBe(true);
    expect(isTensor([t])).toBe(false);
    expect(isTensor({ x: t })).toBe(false);
    expect(isTensor({ dtype: t, shape: t })).toBe(false); // inputs called "dtype" and "shape"
    expect(isTensor(null)).toBe(false);
    expect(isTensor(undefined)).toBe(false);
  });
});

describe('errors', () => {
  it("STATUS_BY_CODE: each code's status has the reason phrase Node's http module gives it", () => {
    // What each code means, in HTTP's words; the numbers come from node:http, not from here.
    const meaning: Record<GraphPipeErrorCode, string> = {
      INVALID_MESSAGE: 'Bad Request',
      INVALID_ARGUMENT: 'Bad Request',
      PAYLOAD_TOO_LARGE: 'Payload Too Large',
      REQUEST_TIMEOUT: 'Request Timeout',
      NOT_FOUND: 'Not Found',
      UNAUTHENTICATED: 'Unauthorized',
      FORBIDDEN: 'Forbidden',
      UNAVAILABLE: 'Service Unavailable',
      UPSTREAM: 'Bad Gateway',
      DEADLINE_EXCEEDED: 'Gateway Timeout',
      NETWORK: 'Service Unavailable',
      INTERNAL: 'Internal Server Error',
      ABORTED: '',
    };
    expect(Object.keys(STATUS_BY_CODE).sort()).toEqual(Object.keys(meaning).sort());
    for (const [code, status] of Object.entries(STATUS_BY_CODE) as [GraphPipeErrorCode, number][]) {
      if (code === 'ABORTED') continue;
      expect(STATUS_CODES[status], code).toBe(meaning[code]);
    }
    // The client went away: nginx's 499, a 4xx that HTTP itself has no name for.
    expect(STATUS_BY_CODE.ABORTED).toBeGreaterThanOrEqual(400);
    expect(STATUS_BY_CODE.ABORTED).toBeLessThan(500);
    expect(STATUS_CODES[STATUS_BY_CODE.ABORTED]).toBeUndefined();
  });

  it('a GraphPipeError takes its status from its code unless told otherwise', () => {
    for (const [code, status] of Object.entries(STATUS_BY_CODE) as [GraphPipeErrorCode, number][]) {
      const e = new GraphPipeError(code, 'm');
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe('GraphPipeError');
      expect(e.code).toBe(code);
      expect(e.status).toBe(status);
      expect(e.retryAfter).toBeUndefined();
    }
    const cause = new Error('root');
    const e = new GraphPipeError('UNAVAILABLE', 'busy', { status: 429, cause, retryAfter: 3 });
    expect([e.status, e.cause, e.retryAfter, e.message]).toEqual([429, cause, 3, 'busy']);
    expect('cause' in new GraphPipeError('INTERNAL', 'x')).toBe(false);
  });

  it('invalidMessage makes an INVALID_MESSAGE error with status 400', () => {
    const e = invalidMessage('bad bytes');
    expect([e.code, e.status, e.message]).toEqual(['INVALID_MESSAGE', 400, 'bad bytes']);
  });

  it('isGraphPipeError recognises errors from any copy of the package, without instanceof', () => {
    expect(isGraphPipeError(new GraphPipeError('INTERNAL', 'x'))).toBe(true);
    // An error class from another copy of this package: same shape, different prototype.
    class OtherCopy extends Error {
      override readonly name = 'GraphPipeError';
      readonly code = 'NOT_FOUND';
    }
    const foreign = new OtherCopy('elsewhere');
    expect(foreign instanceof GraphPipeError).toBe(false);
    expect(isGraphPipeError(foreign)).toBe(true);
    expect(isGraphPipeError({ name: 'GraphPipeError', code: 'INTERNAL' })).toBe(true);
    // Structured clones (e.g. across a worker) keep name and code as own data too.
    expect(isGraphPipeError(Object.assign(Object.create(null), { name: 'GraphPipeError', code: 'ABORTED' }))).toBe(
      true,
    );
  });

  it('isGraphPipeError rejects everything else', () => {
    for (const v of [
      new Error('x'),
      new TypeError('x'),
      new RangeError('x'),
      null,
      undefined,
      'GraphPipeError',
      400,
      { name: 'GraphPipeError' },
      { name: 'GraphPipeError', code: 400 },
      { code: 'INTERNAL' },
      { name: 'Error', code: 'INTERNAL' },
    ]) {
      expect(isGraphPipeError(v)).toBe(false);
    }
  });

  it('codeFromStatus maps HTTP statuses back to codes', () => {
    const cases: [number, GraphPipeErrorCode][] = [
      [400, 'INVALID_ARGUMENT'],
      [404, 'NOT_FOUND'],
      [408, 'REQUEST_TIMEOUT'],
      [413, 'PAYLOAD_TOO_LARGE'],
      [502, 'UPSTREAM'],
      [503, 'UNAVAILABLE'],
      [504, 'DEADLINE_EXCEEDED'],
      [401, 'UNAUTHENTICATED'],
      [403, 'FORBIDDEN'],
      [422, 'INVALID_ARGUMENT'],
      [499, 'INVALID_ARGUMENT'],
      [500, 'INTERNAL'],
      [501, 'INTERNAL'],
      [302, 'INTERNAL'],
    ];
    for (const [status, code] of cases) expect(codeFromStatus(status)).toBe(code);
  });
});
