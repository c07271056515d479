// The wire vectors produced by the original Python client and Go server (see
// conformance/README.md): decode each, check every value, re-encode, and cross-check
// our encoding with flatc's generated accessors.
import * as flatbuffers from 'flatbuffers';
import { describe, expect, it } from 'vitest';
import {
  decodeInferResponse,
  decodeMetadataResponse,
  decodeRequest,
  decodeTensor,
  encodeInferRequest,
  encodeInferResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  encodeTensor,
  type InferRequest,
  type InferResponse,
  type MetadataResponse,
  type Request,
  type Tensor,
} from '@graphpipe/protocol';
import {
  InferRequest as GenInferRequest,
  InferResponse as GenInferResponse,
  Req,
  Request as GenRequest,
  Tensor as GenTensor,
  Type,
} from '../src/gen/graphpipe.js';
import {
  bytesOf,
  genBareTensor,
  genInferResponse,
  genMetadataResponse,
  genRequest,
  normalize,
  placeAt,
  utf8,
  vector,
  dataOf,
} from './helpers.js';

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const ZERO_TO_FIVE = [0, 1, 2, 3, 4, 5];

function expectFloat32(t: Tensor, shape: number[], values: number[]) {
  expect(t.dtype).toBe('float32');
  expect(t.shape).toEqual(shape);
  expect(t.data).toBeInstanceOf(Float32Array);
  expect(Array.from(t.data as Float32Array)).toEqual(values);
}

function expectFloat64(t: Tensor, shape: number[], values: number[]) {
  expect(t.dtype).toBe('float64');
  expect(t.shape).toEqual(shape);
  expect(t.data).toBeInstanceOf(Float64Array);
  expect(Array.from(t.data as Float64Array)).toEqual(values);
}

function expectStrings(t: Tensor, shape: number[], values: string[]) {
  expect(t.dtype).toBe('string');
  expect(t.shape).toEqual(shape);
  expect(t.data).toHaveLength(values.length);
  (t.data as readonly (string | Uint8Array)[]).forEach((v, i) => {
    // Decoders hand strings back as raw bytes (the wire allows any bytes).
    expect(v).toBeInstanceOf(Uint8Array);
    expect(v).toEqual(utf8(values[i]!));
  });
}

function infer(file: string): InferRequest {
  const r = decodeRequest(vector(file));
  expect(r.kind).toBe('infer');
  return r as InferRequest;
}

/** Which decoder, re-encoder and generated-accessor reader apply to a vector. */
type Root = 'request' | 'inferResponse' | 'metadataResponse' | 'tensor';

const CODEC: Record<
  Root,
  {
    decode: (b: Uint8Array) => unknown;
    encode: (m: never) => Uint8Array;
    generated: (b: Uint8Array) => unknown;
  }
> = {
  request: {
    decode: decodeRequest,
    encode: (m: Request) => (m.kind === 'infer' ? encodeInferRequest(m) : encodeMetadataRequest()),
    generated: genRequest,
  },
  inferResponse: {
    decode: decodeInferResponse,
    encode: (m: InferResponse) => encodeInferResponse(m),
    generated: genInferResponse,
  },
  metadataResponse: {
    decode: decodeMetadataResponse,
    encode: (m: MetadataResponse) => encodeMetadataResponse(m),
    generated: genMetadataResponse,
  },
  tensor: { decode: decodeTensor, encode: (m: Tensor) => encodeTensor(m), generated: genBareTensor },
};

const VECTORS: [string, Root][] = [
  ['sample_request.bin', 'request'],
  ['sample_request_named.bin', 'request'],
  ['sample_string_request.bin', 'request'],
  ['sample_metadata_request.bin', 'request'],
  ['request_none_type.bin', 'request'],
  ['py_inferreq.bin', 'request'],
  ['py_metadatareq.bin', 'request'],
  ['py_inferresp.bin', 'inferResponse'],
  ['py_metadataresp.bin', 'metadataResponse'],
  ['py_floats.bin', 'tensor'],
  ['py_strings.bin', 'tensor'],
  ['go_echo_infer_response.bin', 'inferResponse'],
  ['go_echo_named_response.bin', 'inferResponse'],
  ['go_echo_string_response.bin', 'inferResponse'],
  ['go_echo_metadata_response.bin', 'metadataResponse'],
];

describe('conformance vectors: decoded values', () => {
  it('sample_request.bin: one Float32 [2,3] 0..5, empty config, empty name lists', () => {
    const r = infer('sample_request.bin');
    expect(r.config).toBe('');
    expect(r.inputNames).toEqual([]);
    expect(r.outputNames).toEqual([]);
    expect(r.inputs).toHaveLength(1);
    expectFloat32(r.inputs[0]!, [2, 3], ZERO_TO_FIVE);
  });

  it('sample_request.bin: the name lists are present-but-empty vectors on the wire', () => {
    const ir = GenRequest.getRootAsRequest(new flatbuffers.ByteBuffer(vector('sample_request.bin'))).req(
      new GenInferRequest(),
    ) as GenInferRequest;
    expect(ir.bb!.__offset(ir.bb_pos, 6)).not.toBe(0); // input_names present
    expect(ir.bb!.__offset(ir.bb_pos, 10)).not.toBe(0); // output_names present
    expect(ir.inputNamesLength()).toBe(0);
    expect(ir.outputNamesLength()).toBe(0);
  });

  it('sample_request_named.bin: names and config', () => {
    const r = infer('sample_request_named.bin');
    expect(r.config).toBe('{"debug":1}');
    expect(r.inputNames).toEqual(['input0']);
    expect(r.outputNames).toEqual(['output0']);
    expect(r.inputs).toHaveLength(1);
    expectFloat32(r.inputs[0]!, [2, 3], ZERO_TO_FIVE);
  });

  it('sample_string_request.bin: String [2] "foo","barbaz" in string_val, no data', () => {
    const r = infer('sample_string_request.bin');
    expect(r.config).toBe('');
    expect(r.inputNames).toEqual([]);
    expect(r.outputNames).toEqual([]);
    expect(r.inputs).toHaveLength(1);
    expectStrings(r.inputs[0]!, [2], ['foo', 'barbaz']);
    const t = (
      GenRequest.getRootAsRequest(new flatbuffers.ByteBuffer(vector('sample_string_request.bin'))).req(
        new GenInferRequest(),
      ) as GenInferRequest
    ).inputTensors(0)!;
    expect(t.type()).toBe(Type.String);
    expect(t.dataArray()).toBeNull();
  });

  it.each(['sample_metadata_request.bin', 'py_metadatareq.bin'])('%s: MetadataRequest', (file) => {
    const bytes = vector(file);
    expect(GenRequest.getRootAsRequest(new flatbuffers.ByteBuffer(bytes)).reqType()).toBe(Req.MetadataRequest);
    expect(decodeRequest(bytes)).toEqual({ kind: 'metadata' });
  });

  it('request_none_type.bin: union type NONE and no req decodes as a metadata request (as the Go server answers it)', () => {
    const bytes = vector('request_none_type.bin');
    const gen = GenRequest.getRootAsRequest(new flatbuffers.ByteBuffer(bytes));
    expect(gen.reqType()).toBe(Req.NONE);
    expect(gen.req(new GenInferRequest())).toBeNull();
    expect(decodeRequest(bytes)).toEqual({ kind: 'metadata' });
  });

  it('py_inferreq.bin: config, names, String [2] and Float64 [3,3] identity', () => {
    const r = infer('py_inferreq.bin');
    expect(r.config).toBe('conf');
    expect(r.inputNames).toEqual(['some', 'other']);
    expect(r.outputNames).toEqual(['third', 'fourth']);
    expect(r.inputs).toHaveLength(2);
    expectStrings(r.inputs[0]!, [2], ['foo', 'b']);
    expectFloat64(r.inputs[1]!, [3, 3], IDENTITY);
  });

  it('py_inferresp.bin: String [2] and Float64 identity, no errors', () => {
    const r = decodeInferResponse(vector('py_inferresp.bin'));
    expect(r.errors).toEqual([]);
    expect(r.outputs).toHaveLength(2);
    expectStrings(r.outputs[0]!, [2], ['foo', 'b']);
    expectFloat64(r.outputs[1]!, [3, 3], IDENTITY);
  });

  it('py_metadataresp.bin: every field', () => {
    expect(decodeMetadataResponse(vector('py_metadataresp.bin'))).toEqual({
      name: 'mymodel',
      version: '1.2',
      server: 'python server',
      description: '',
      inputs: [{ name: 'input0', description: 'the input', shape: [-1, 3, 3], dtype: 'float32' }],
      outputs: [{ name: 'output0', description: 'the output', shape: [-1, 3, 3], dtype: 'float32' }],
    });
  });

  it('py_floats.bin: bare Float64 [3,3] identity tensor', () => {
    expectFloat64(decodeTensor(vector('py_floats.bin')), [3, 3], IDENTITY);
  });

  it('py_strings.bin: bare String [2] tensor', () => {
    expectStrings(decodeTensor(vector('py_strings.bin')), [2], ['foo', 'b']);
  });

  it.each(['go_echo_infer_response.bin', 'go_echo_named_response.bin'])('%s: Float32 [2,3] 0..5, no errors', (file) => {
    const r = decodeInferResponse(vector(file));
    expect(r.errors).toEqual([]);
    expect(r.outputs).toHaveLength(1);
    expectFloat32(r.outputs[0]!, [2, 3], ZERO_TO_FIVE);
  });

  it('go_echo_string_response.bin: String [2] "foo","barbaz"', () => {
    const r = decodeInferResponse(vector('go_echo_string_response.bin'));
    expect(r.errors).toEqual([]);
    expect(r.outputs).toHaveLength(1);
    expectStrings(r.outputs[0]!, [2], ['foo', 'barbaz']);
  });

  it('go_echo_metadata_response.bin: decoded as it is, quirks included (shape [0], Int64)', () => {
    const m = decodeMetadataResponse(vector('go_echo_metadata_response.bin'));
    expect(m).toEqual({
      name: 'SimpleModel',
      version: '',
      server: '',
      description: 'A graphpipe server using the simple interface with automatic native type conversion.',
      inputs: [{ name: 'input0', description: '', shape: [0], dtype: 'int64' }],
      outputs: [{ name: 'output0', description: '', shape: [0], dtype: 'int64' }],
    });
  });
});

describe('conformance vectors: re-encoding and generated accessors', () => {
  it.each(VECTORS)('%s: our re-encoding decodes to the same message', (file, root) => {
    const { decode, encode } = CODEC[root];
    const original = decode(vector(file));
    const again = decode(encode(original as never));
    expect(normalize(again)).toEqual(normalize(original));
  });

  it.each(VECTORS)('%s: flatc accessors read the original bytes as our decoder does', (file, root) => {
    const { decode, generated } = CODEC[root];
    const bytes = vector(file);
    expect(generated(bytes)).toEqual(normalize(decode(bytes)));
  });

  it.each(VECTORS)('%s: flatc accessors read our re-encoding with the same values', (file, root) => {
    const { decode, encode, generated } = CODEC[root];
    const ours = encode(decode(vector(file)) as never);
    expect(generated(ours)).toEqual(normalize(decode(vector(file))));
  });

  it('our re-encodings start with a root uoffset into the buffer (no size prefix)', () => {
    for (const [file, root] of VECTORS) {
      const { decode, encode } = CODEC[root];
      const ours = encode(decode(vector(file)) as never);
      const rootAt = new DataView(ours.buffer).getUint32(0, true);
      expect(rootAt).toBeGreaterThanOrEqual(4);
      expect(rootAt).toBeLessThan(ours.length);
    }
  });
});

describe("alignment of the original encoders' 8-byte payloads", () => {
  const payloadOffset = (t: GenTensor) => t.dataArray()!.byteOffset;

  it('the Python client aligns its Float64 payloads to 4 bytes only: misaligned in py_inferreq.bin and py_floats.bin', () => {
    const req = GenRequest.getRootAsRequest(new flatbuffers.ByteBuffer(vector('py_inferreq.bin'))).req(
      new GenInferRequest(),
    ) as GenInferRequest;
    expect(payloadOffset(req.inputTensors(1)!) % 8).toBe(4);
    expect(payloadOffset(GenTensor.getRootAsTensor(new flatbuffers.ByteBuffer(vector('py_floats.bin')))) % 8).toBe(4);
    // ...and aligned by chance in py_inferresp.bin.
    const resp = GenInferResponse.getRootAsInferResponse(new flatbuffers.ByteBuffer(vector('py_inferresp.bin')));
    expect(payloadOffset(resp.outputTensors(1)!) % 8).toBe(0);
  });

  it('a misaligned Float64 payload decodes to correct values in a copy', () => {
    const bytes = vector('py_inferreq.bin');
    const t = (decodeRequest(bytes) as InferRequest).inputs[1]!;
    expectFloat64(t, [3, 3], IDENTITY);
    expect(dataOf(t).buffer).not.toBe(bytes.buffer);
    // A copy: later writes to the input do not show through.
    bytes.fill(0);
    expect(Array.from(t.data as Float64Array)).toEqual(IDENTITY);
  });

  it('the same bytes placed at byteOffset 4 make the payload aligned: a view sharing the input buffer', () => {
    const bytes = placeAt(vector('py_floats.bin'), 4);
    const t = decodeTensor(bytes);
    expectFloat64(t, [3, 3], IDENTITY);
    expect(dataOf(t).buffer).toBe(bytes.buffer);
    expect((t.data as Float64Array).byteOffset % 8).toBe(0);
    // A view: writes to the input show through.
    const view = new DataView(bytes.buffer, (t.data as Float64Array).byteOffset, 8);
    view.setFloat64(0, 42, true);
    expect((t.data as Float64Array)[0]).toBe(42);
  });

  it('an aligned payload (py_inferresp.bin at offset 0) is a view; the same bytes at byteOffset 4 are copied', () => {
    const aligned = vector('py_inferresp.bin');
    const view = decodeInferResponse(aligned).outputs[1]!;
    expect(dataOf(view).buffer).toBe(aligned.buffer);
    const shifted = placeAt(aligned, 4);
    const copy = decodeInferResponse(shifted).outputs[1]!;
    expect(dataOf(copy).buffer).not.toBe(shifted.buffer);
    expectFloat64(copy, [3, 3], IDENTITY);
  });

  it('a misaligned Int64 payload decodes to the right BigInts beyond 2^53 (copy), aligned is a view', () => {
    const values = new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n, -1n]);
    const ours = encodeTensor({ dtype: 'int64', shape: [4], data: values });
    const aligned = decodeTensor(ours);
    expect(dataOf(aligned).buffer).toBe(ours.buffer);
    expect(Array.from(aligned.data as BigInt64Array)).toEqual(Array.from(values));
    for (const shift of [1, 2, 4]) {
      const misaligned = placeAt(ours, shift);
      const t = decodeTensor(misaligned);
      expect(t.data).toBeInstanceOf(BigInt64Array);
      expect(dataOf(t).buffer).not.toBe(misaligned.buffer);
      expect(Array.from(t.data as BigInt64Array)).toEqual(Array.from(values));
    }
  });

  it('smaller element types copy only when misaligned for their own size', () => {
    const f32 = encodeTensor({ dtype: 'float32', shape: [3], data: new Float32Array([1.5, -2, 3]) });
    const at2 = placeAt(f32, 2);
    const t2 = decodeTensor(at2);
    expect(dataOf(t2).buffer).not.toBe(at2.buffer);
    expect(Array.from(t2.data as Float32Array)).toEqual([1.5, -2, 3]);
    const at4 = placeAt(f32, 4);
    expect(dataOf(decodeTensor(at4)).buffer).toBe(at4.buffer);
    const u8 = encodeTensor({ dtype: 'uint8', shape: [3], data: new Uint8Array([7, 8, 9]) });
    const at1 = placeAt(u8, 1);
    const t1 = decodeTensor(at1);
    expect(dataOf(t1).buffer).toBe(at1.buffer);
    expect(bytesOf(t1.data as Uint8Array)).toEqual(new Uint8Array([7, 8, 9]));
  });
});
