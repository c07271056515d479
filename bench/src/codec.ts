/**
 * Codec tier (the seed's first experiment): encode + decode of the seed's request
 * (128x224x224x3 float32) and response (128x7x7x512 float32) with our protocol, protocol
 * buffers (TF-Serving PredictRequest) and JSON, against the floor of one warm memory copy.
 */
import {
  concatBytes,
  decodeInferResponse,
  decodeRequest,
  encodeInferRequest,
  encodeInferRequestChunks,
  encodeInferResponse,
  encodeInferResponseChunks,
  tensor,
} from '@graphpipe/protocol';
import { Bench } from 'tinybench';
import { fromJson, toJson } from './baselines/json.js';
import { freshCopy, touchedBuffer, warmCopy } from './baselines/memcpy.js';
import {
  decodePredictRequest,
  decodePredictResponse,
  encodePredictRequest,
  encodePredictResponse,
  type ProtoLayout,
} from './baselines/protobuf.js';
import type { BenchConfig } from './config.js';
import { FEATURE_ROW, IMAGE_ROW, randomFloats, rowElements } from './data.js';
import { progress } from './progress.js';
import type { CodecResults, CodecRow, FirstTouch } from './results.js';

type Message = 'request' | 'response';

/** A codec under test: how it encodes a tensor and decodes its own bytes back to a Float32Array. */
interface Codec {
  readonly method: string;
  readonly encode: (shape: readonly number[], data: Float32Array) => Uint8Array | Uint8Array[];
  readonly decode: (bytes: Uint8Array) => Float32Array;
  /** Run on a slice of `sliceRows` rows and scale up (for codecs too slow for the full size). */
  readonly sliced?: boolean;
  readonly note?: string;
}

type Form = 'joined' | 'chunked' | 'reused';
const METHOD: Record<Form, string> = {
  joined: 'graphpipe',
  chunked: 'graphpipe (chunked encode)',
  reused: 'graphpipe (into a reused buffer)',
};

/** The encoder's three forms: a new joined buffer, chunks around the caller's payload, or a reused buffer. */
function graphpipeEncode(message: Message, form: Form): Codec['encode'] {
  let reused: Uint8Array<ArrayBuffer> | undefined;
  return (shape, data) => {
    const t = tensor(data, shape);
    if (form === 'chunked')
      return message === 'request'
        ? encodeInferRequestChunks({ inputs: [t] })
        : encodeInferResponseChunks({ outputs: [t] });
    const options = form === 'reused' ? { into: reused } : undefined;
    const out =
      message === 'request'
        ? encodeInferRequest({ inputs: [t] }, options)
        : encodeInferResponse({ outputs: [t] }, options);
    if (form === 'reused') reused = out;
    return out;
  };
}

const graphpipe = (message: Message, form: Form): Codec => ({
  method: METHOD[form],
  encode: graphpipeEncode(message, form),
  decode:
    message === 'request'
      ? (bytes) => {
          const req = decodeRequest(bytes);
          if (req.kind !== 'infer') throw new Error('expected an InferRequest');
          return req.inputs[0]!.data as Float32Array;
        }
      : (bytes) => decodeInferResponse(bytes).outputs[0]!.data as Float32Array,
  note: {
    joined: 'decode returns views over the buffer',
    chunked: "encode returns header chunks + the caller's payload, uncopied; decode as above",
    reused: 'encode writes into the buffer of its previous call (warm memory); decode as above',
  }[form],
});

const protobuf = (message: Message, layout: ProtoLayout): Codec => ({
  method: `protobuf ${layout}`,
  encode: (shape, data) => (message === 'request' ? encodePredictRequest : encodePredictResponse)(shape, data, layout),
  decode: (bytes) => (message === 'request' ? decodePredictRequest : decodePredictResponse)(bytes).data,
  sliced: layout === 'float_val',
  note:
    layout === 'float_val'
      ? 'TF-Serving PredictRequest, packed float_val; decode incl. Float32Array.from'
      : 'bytes field; decode views or copies into a Float32Array',
});

const json: Codec = {
  method: 'JSON',
  encode: (shape, data) => new TextEncoder().encode(toJson(shape, data)),
  decode: (bytes) => fromJson(new TextDecoder().decode(bytes)).data,
  sliced: true,
  note: 'JSON.stringify(Array.from(data)) + UTF-8; decode incl. JSON.parse + Float32Array.from',
};

const sink: unknown[] = [];
const keep = (v: unknown) => {
  sink[0] = v;
};

function bytesOfEncoded(e: Uint8Array | Uint8Array[]): Uint8Array {
  return Array.isArray(e) ? concatBytes(e) : e;
}

/** Median ms of each task, timed with tinybench. */
async function timeTasks(
  cfg: BenchConfig['codec'],
  tasks: ReadonlyArray<readonly [string, () => unknown]>,
  tick: (label: string) => void,
) {
  const bench = new Bench({
    time: cfg.timeMs,
    iterations: cfg.iterations,
    warmupIterations: cfg.warmupIterations,
    warmupTime: 0,
    throws: true,
  });
  for (const [name, fn] of tasks) bench.add(name, () => keep(fn()));
  bench.addEventListener('cycle', (e) => tick(e.task?.name ?? ''));
  await bench.run();
  const ms = new Map<string, number>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`codec task ${task.name} did not complete (${r.state})`);
    ms.set(task.name, r.latency.p50);
  }
  return ms;
}

function check(method: string, got: Float32Array, want: Float32Array): void {
  if (got.length !== want.length) throw new Error(`${method}: decoded ${got.length} values, expected ${want.length}`);
  for (const i of [0, 1, want.length >> 1, want.length - 1]) {
    if (got[i] !== want[i]) throw new Error(`${method}: value ${i} decoded as ${got[i]}, expected ${want[i]}`);
  }
}

async function runMessage(message: Message, config: BenchConfig, tick: (label: string) => void) {
  const cfg = config.codec;
  const row = message === 'request' ? IMAGE_ROW : FEATURE_ROW;
  const rows = message === 'request' ? cfg.requestRows : cfg.responseRows;
  const sliceRows = Math.min(rows, message === 'request' ? cfg.requestSliceRows : cfg.responseSliceRows);
  const shape = [rows, ...row];
  const sliceShape = [sliceRows, ...row];
  const data = randomFloats(rows * rowElements(row), message === 'request' ? 1 : 2);
  const slice = data.subarray(0, sliceRows * rowElements(row));

  const codecs = [
    graphpipe(message, 'joined'),
    graphpipe(message, 'chunked'),
    graphpipe(message, 'reused'),
    protobuf(message, 'tensor_content'),
    protobuf(message, 'float_val'),
    json,
  ];
  const tasks: Array<readonly [string, () => unknown]> = [];
  const encoded = new Map<string, Uint8Array>();
  for (const c of codecs) {
    const [s, d] = c.sliced ? [sliceShape, slice] : [shape, data];
    const bytes = bytesOfEncoded(c.encode(s, d));
    check(c.method, c.decode(bytes), d);
    encoded.set(c.method, bytes);
    tasks.push([`${c.method} encode`, () => c.encode(s, d)], [`${c.method} decode`, () => c.decode(bytes)]);
  }
  const wire = encoded.get('graphpipe')!;
  const warm = touchedBuffer(wire.length);
  tasks.unshift(['floor: warm copy', () => warmCopy(warm, wire)], ['fresh alloc + copy', () => freshCopy(wire)]);

  const ms = await timeTasks(cfg, tasks, tick);
  const floor = ms.get('floor: warm copy')!;
  const codecRows: CodecRow[] = codecs.map((c) => {
    const scale = c.sliced ? rows / sliceRows : 1;
    const encodeMs = ms.get(`${c.method} encode`)! * scale;
    const decodeMs = ms.get(`${c.method} decode`)! * scale;
    return {
      message,
      method: c.method,
      encodeMs,
      decodeMs,
      totalMs: encodeMs + decodeMs,
      ratioToFloor: (encodeMs + decodeMs) / floor,
      wireBytes: Math.round(encoded.get(c.method)!.length * scale),
      ...(c.sliced && scale !== 1 ? { scaledFrom: { rows: sliceRows, of: rows } } : {}),
      ...(c.note ? { note: c.note } : {}),
    };
  });
  const firstTouch: FirstTouch = {
    message,
    bytes: wire.length,
    warmCopyMs: floor,
    freshCopyMs: ms.get('fresh alloc + copy')!,
    ratio: ms.get('fresh alloc + copy')! / floor,
  };
  return { shape, bytes: wire.length, floor, rows: codecRows, firstTouch };
}

export async function runCodec(config: BenchConfig): Promise<CodecResults> {
  const perMessage = 2 + 5 * 2;
  const bar = progress('codec', 2 * perMessage, config.progress);
  try {
    const request = await runMessage('request', config, (l) => bar.tick(`request: ${l}`));
    const response = await runMessage('response', config, (l) => bar.tick(`response: ${l}`));
    return {
      request: { shape: request.shape, bytes: request.bytes },
      response: { shape: response.shape, bytes: response.bytes },
      floorMs: { request: request.floor, response: response.floor },
      rows: [...request.rows, ...response.rows],
      firstTouch: [request.firstTouch, response.firstTouch],
    };
  } finally {
    bar.stop();
    sink.length = 0;
  }
}
