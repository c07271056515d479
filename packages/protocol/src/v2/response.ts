/** Inference responses: encoded by a server, decoded by a client. */
import { invalidMessage } from '../errors.js';
import { completeLimits, type DecodeLimits } from '../limits.js';
import type { Tensor } from '../tensor.js';
import { type JsonObject, JsonReader } from './json-reader.js';
import { jsonEstimate, written } from './json-writer.js';
import type { V2Body } from './request.js';
import {
  jsonLengthOf,
  type NamedTensor,
  objectValue,
  placeTensors,
  readTensorObjects,
  stringValue,
  writeTensorObject,
} from './tensor-json.js';

export interface V2ResponseInit {
  readonly modelName: string;
  readonly modelVersion?: string;
  /** The request's id, echoed. */
  readonly id?: string;
  readonly parameters?: JsonObject;
  /** Each output, and whether it goes as binary data (FP16 and non-UTF-8 BYTES always do). */
  readonly outputs: readonly { readonly name: string; readonly tensor: Tensor; readonly binary: boolean }[];
}

/**
 * The response body as chunks: the JSON (numeric data written into it directly), then each
 * binary output's own memory, uncopied. `headerLength` is set when binary data follows.
 */
export function encodeV2Response(init: V2ResponseInit): V2Body {
  const binary: Uint8Array[] = [];
  let anyBinary = false;
  const json = written(
    jsonEstimate(init.outputs, (i) => init.outputs[i]!.binary),
    (w) => {
      w.ascii('{"model_name":');
      w.string(init.modelName);
      if (init.modelVersion !== undefined) {
        w.ascii(',"model_version":');
        w.string(init.modelVersion);
      }
      if (init.id !== undefined) {
        w.ascii(',"id":');
        w.string(init.id);
      }
      if (init.parameters) {
        w.ascii(',"parameters":');
        w.json(init.parameters);
      }
      w.ascii(',"outputs":[');
      init.outputs.forEach((o, i) => {
        if (i) w.ascii(',');
        anyBinary = writeTensorObject(w, o.name, o.tensor, o.binary, binary) || anyBinary;
      });
      w.ascii(']}');
    },
  );
  return { chunks: [json, ...binary], headerLength: anyBinary ? json.length : undefined };
}

export interface V2InferResponse {
  readonly modelName: string | undefined;
  readonly modelVersion: string | undefined;
  readonly id: string | undefined;
  readonly parameters: JsonObject | undefined;
  readonly outputs: readonly NamedTensor[];
}

/**
 * Decodes a response body; `header` is its Inference-Header-Content-Length, if any. Binary
 * outputs are views of `body` where aligned. Throws GraphPipeError for a malformed answer.
 */
export function decodeV2Response(
  body: Uint8Array,
  header: string | null | undefined,
  limits?: Partial<DecodeLimits>,
): V2InferResponse {
  const jsonLength = jsonLengthOf(header, body.length);
  const all = completeLimits(limits);
  const r = new JsonReader(jsonLength === undefined ? body : body.subarray(0, jsonLength), 'response JSON');
  let modelName: string | undefined;
  let modelVersion: string | undefined;
  let id: string | undefined;
  let parameters: JsonObject | undefined;
  let outputs: ReturnType<typeof readTensorObjects> | undefined;
  for (let key = r.firstKey(); key !== undefined; key = r.nextKey()) {
    if (key === 'model_name') modelName = stringValue(r, 'model_name');
    else if (key === 'model_version') modelVersion = stringValue(r, 'model_version');
    else if (key === 'id') id = stringValue(r, 'id');
    else if (key === 'parameters') parameters = objectValue(r, 'parameters');
    else if (key === 'outputs') outputs = readTensorObjects(r, 'output', all);
    else r.value();
  }
  r.finish();
  if (!outputs) throw invalidMessage('the response has no "outputs"');
  return {
    modelName,
    modelVersion,
    id,
    parameters,
    outputs: placeTensors(outputs, r, body, jsonLength ?? body.length, jsonLength !== undefined),
  };
}
