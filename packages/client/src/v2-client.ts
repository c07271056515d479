/**
 * A model over the Open Inference Protocol, version 2 (KServe, Triton, Seldon MLServer, OpenVINO,
 * and our own server): model metadata as GraphPipe's MetadataResponse, inference with binary
 * tensor data (or JSON), errors as GraphPipeErrors.
 */
import type { MetadataResponse, Tensor } from '@graphpipe/protocol';
import {
  binaryOffsetOf,
  decodeV2Response,
  encodeV2Request,
  HEADER_LENGTH_HEADER,
  type NamedTensor,
  tensorSpecsFromV2,
} from '@graphpipe/protocol/v2';
import { type Answer, decodeAnswer, type PostOptions, send } from './transport.js';

/** Where a v2 model lives: the server's base URL, the model's name and version, and a query to keep. */
export interface V2Target {
  readonly base: string;
  readonly model: string;
  readonly version: string | undefined;
  readonly query: string;
}

const MODEL_PATH = /^(.*?)\/v2\/models\/([^/?#]+)(?:\/versions\/([^/?#]+))?\/?$/;

/** Whether a URL names a model the v2 way: http://host[:port][/prefix]/v2/models/<name>[/versions/<v>]. */
export function isV2ModelUrl(url: string): boolean {
  return MODEL_PATH.test(splitQuery(url)[0]);
}

/**
 * The target of a v2 client: from a model URL (`…/v2/models/<name>[/versions/<v>]`), or a server's
 * base URL and a model name; `model` and `version` given as options win over the URL's.
 */
export function v2Target(url: string, model: string | undefined, version: string | undefined): V2Target {
  const [path, query] = splitQuery(url);
  const m = MODEL_PATH.exec(path);
  const base = (m ? m[1]! : path).replace(/\/+$/, '');
  const name = model ?? (m ? decodeURIComponent(m[2]!) : undefined);
  if (name === undefined) {
    throw new TypeError(
      `the Open Inference Protocol needs a model: give the model option, or a URL such as ${base}/v2/models/<name>`,
    );
  }
  return {
    base,
    model: name,
    version: version ?? (m?.[3] === undefined ? undefined : decodeURIComponent(m[3])),
    query,
  };
}

function splitQuery(url: string): [string, string] {
  const at = url.search(/[?#]/);
  return at < 0 ? [url, ''] : [url.slice(0, at), url.slice(at).replace(/#.*$/, '')];
}

export interface V2InferCall {
  readonly inputs: readonly NamedTensorInput[];
  readonly outputNames?: readonly string[];
  readonly config?: string;
}

interface NamedTensorInput {
  readonly name: string;
  readonly tensor: Tensor;
}

export class V2Client {
  constructor(
    readonly target: V2Target,
    /** Tensors as binary data, or JSON. */
    private readonly binary: boolean,
  ) {}

  private get modelUrl(): string {
    const { base, model, version } = this.target;
    const v = version === undefined ? '' : `/versions/${encodeURIComponent(version)}`;
    return `${base}/v2/models/${encodeURIComponent(model)}${v}`;
  }

  /** The model's metadata, and the server's name and version (when it says them), as GraphPipe's metadata. */
  async metadata(options: PostOptions): Promise<MetadataResponse> {
    const { base, query, version } = this.target;
    const readJson = (answer: Answer) => answer.text();
    const [model, server] = await Promise.all([
      send(`${this.modelUrl}${query}`, {}, options, readJson),
      // Gateways may expose only the model's paths: the server's name is a nicety.
      send(`${base}/v2${query}`, {}, { ...options, retries: 0 }, readJson).catch(() => undefined),
    ]);
    const specs = parse(() => tensorSpecsFromV2(JSON.parse(model)), this.modelUrl);
    const about = server === undefined ? undefined : parse(() => serverName(JSON.parse(server)), base);
    return {
      name: specs.name,
      version: version ?? specs.versions.at(-1) ?? '',
      server: about ?? '',
      description: '',
      inputs: specs.inputs,
      outputs: specs.outputs,
    };
  }

  /**
   * Runs the model; the answer's outputs carry their names. `bytes`: the answer they are views of
   * (in `into` when it fits).
   */
  async infer(
    call: V2InferCall,
    options: PostOptions,
    into?: Uint8Array,
  ): Promise<{ outputs: readonly NamedTensor[]; bytes: Uint8Array }> {
    const { binary } = this;
    const body = encodeV2Request({
      inputs: call.inputs,
      outputs: call.outputNames?.length ? call.outputNames.map((name) => ({ name, binary })) : undefined,
      binaryInputs: binary,
      binaryOutput: call.outputNames?.length ? undefined : binary,
      ...(call.config ? { parameters: { config: call.config } } : {}),
    });
    const headers: Record<string, string> =
      body.headerLength === undefined ? {} : { [HEADER_LENGTH_HEADER]: String(body.headerLength) };
    const url = `${this.modelUrl}/infer${this.target.query}`;
    const answer = await send(
      url,
      {
        chunks: body.chunks,
        contentType: body.headerLength === undefined ? 'application/json' : 'application/octet-stream',
        headers,
      },
      options,
      async (response) => {
        const header = response.header(HEADER_LENGTH_HEADER);
        // Binary outputs start right after the JSON: read them into place 8-aligned, so they decode as views.
        return { bytes: await response.bytes(binaryOffsetOf(header), into), header };
      },
    );
    return { outputs: parse(() => decodeV2Response(answer.bytes, answer.header).outputs, url), bytes: answer.bytes };
  }
}

function serverName(value: unknown): string | undefined {
  const { name, version } = (value ?? {}) as { name?: unknown; version?: unknown };
  if (typeof name !== 'string') return undefined;
  return typeof version === 'string' && version ? `${name} ${version}` : name;
}

/** A decoded answer, or INVALID_MESSAGE saying the server's answer is not the protocol's. */
function parse<T>(decode: () => T, url: string): T {
  return decodeAnswer(decode, url, 'an Open Inference Protocol message');
}
