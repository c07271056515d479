import {
  decodeInferResponse,
  decodeMetadataResponse,
  encodeInferRequestChunks,
  encodeMetadataRequest,
  GraphPipeError,
  isTensor,
  type MetadataResponse,
  type Tensor,
} from '@graphpipe/protocol';
import { AnswerMemory, canStreamUploads } from './body.js';
import type { Compression } from './compression.js';
import type { GrpcModelClient } from './grpc-client.js';
import { type GrpcTarget, grpcTarget, isGrpcUrl } from './grpc-target.js';
import { callSignal, decodeAnswer, type PostOptions, post, type Transport } from './transport.js';
import { isV2ModelUrl, V2Client, type V2InferCall, v2Target } from './v2-client.js';

export interface RemoteModelOptions {
  /** A fetch implementation (for proxies, custom agents, tests). Default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * How requests go out, in place of fetch: `nodeHttpTransport()` from `@graphpipe/client/node`
   * sends over node:http (Node, Bun), which hands the answer's bytes over as the socket read
   * them, where Node's fetch copies each piece once more and passes it through a web stream
   * (it pays most with several large calls at once).
   */
  transport?: Transport;
  /** Headers sent with every request (e.g. authorization). */
  headers?: Record<string, string>;
  /**
   * Default time limit for each call, in ms. None by default. The server is told it too (the
   * time left, as grpc-timeout or the gRPC call's deadline), so it stops work nobody waits for.
   */
  timeoutMs?: number;
  /** Attempts after a refused connection (safe: nothing was sent). Default 2. */
  retries?: number;
  /**
   * Send large tensors as a stream of their own memory rather than one joined copy. Default:
   * on in Node, whose fetch streams request bodies over HTTP/1.1; off in browsers, which
   * stream uploads only over HTTP/2.
   */
  streamUploads?: boolean;
  /**
   * The protocol the server speaks: 'graphpipe', 'v2' for the Open Inference Protocol (KServe,
   * Triton, MLServer, OpenVINO, and this project's server), or 'grpc' for its gRPC service (Node
   * only, with the `@grpc/grpc-js` package). Default: 'grpc' for a grpc:// or grpcs:// URL
   * (`grpc://host:8001/models/<name>[/versions/<v>]`), 'v2' when the URL is a v2 model's
   * (`…/v2/models/<name>[/versions/<v>]`) or `model` is given, else 'graphpipe'.
   */
  protocol?: 'graphpipe' | 'v2' | 'grpc';
  /** v2 and gRPC: the model's name, when the URL is the server's (http://host:port) rather than the model's. */
  model?: string;
  /** v2 and gRPC: the model version; default: the URL's, else the server's choice (its latest). */
  version?: string;
  /** gRPC over TLS (grpcs://): PEM certificate authorities to trust in place of Node's. */
  ca?: string | Uint8Array;
  /** v2: tensors as binary data (default), or as JSON. */
  encoding?: 'binary' | 'json';
  /**
   * Send request bodies compressed ('gzip' or 'deflate', as Content-Encoding) and ask for
   * compressed answers (Accept-Encoding), which fetch inflates. Worth it on slow links for
   * tensors that compress; on a fast one it costs more time than it saves. Default: neither,
   * and answers are asked for uncompressed.
   */
  compression?: Compression;
  /**
   * Read each answer into the previous answer's memory (when it fits) instead of fresh memory:
   * for a steady stream of large answers, no new buffer per call and no pages touched for the
   * first time. The price: **an answer's tensors are valid only until the next `infer` on this
   * model starts**; that call may overwrite them. Copy what you keep (`data.slice()`). Concurrent
   * calls are safe (they never share memory), but each one may overwrite any earlier answer.
   * Default: off, every answer in memory of its own.
   */
  reuse?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** This call's time limit, in ms (in place of the model's `timeoutMs`); the server is told it. */
  timeoutMs?: number;
  /**
   * When the answer stops being worth waiting for, as a `performance.now()` time, such as a
   * server's `InferContext.deadline`: a composition passes on the time its own caller gave it.
   * With a `timeoutMs` too, the earlier of the two ends the call. The server is told it.
   */
  deadline?: number;
}

export interface InferOptions extends CallOptions {
  /** Names for the input tensors, by position (a record of inputs names them itself). */
  inputNames?: readonly string[];
  /** Outputs wanted, in order. Default: the model's default outputs. */
  outputNames?: readonly string[];
  /** Opaque per-request configuration passed to the model (over v2, as the `config` parameter). */
  config?: string;
  /**
   * Read the answer into this memory when it fits (the outputs are then views of it, placed
   * 8-aligned), else into fresh memory as usual (check `outputs[i].data.buffer` to tell). What
   * it held is overwritten, even by an answer that then fails to decode; it must not be read or
   * written until the call settles. Wins over `reuse` for this call.
   */
  into?: Uint8Array;
}

/** One tensor, tensors in the model's default input order, or tensors by input name. */
export type InferInputs = Tensor | readonly Tensor[] | Readonly<Record<string, Tensor>>;

export interface InferResult {
  /** The outputs in answer order. */
  readonly outputs: readonly Tensor[];
  /**
   * The outputs by name (an object without a prototype, so any name is safe as a key). With
   * `outputNames`, by those names. Without, by the names in the model's metadata, which is
   * fetched after the first such answer (or by `metadata()`) and kept; it lists every output while the server
   * answers its default outputs, so the names are used only when the counts agree. Empty when
   * they do not, when the metadata fetch failed (the next call tries again), or when the call's
   * signal or deadline ended the wait for the metadata after the outputs had arrived.
   */
  readonly byName: Readonly<Record<string, Tensor>>;
}

/**
 * A model served over GraphPipe, at the URL the server was given (usually http://host:port), or
 * over the Open Inference Protocol (v2).
 *
 *     const model = new RemoteModel('http://127.0.0.1:9000');
 *     const { outputs } = await model.infer(tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]));
 *     const triton = new RemoteModel('http://triton:8000/v2/models/iris');
 */
export class RemoteModel {
  readonly url: string;
  /** The protocol in use. */
  readonly protocol: 'graphpipe' | 'v2' | 'grpc';
  private readonly options: Required<Pick<RemoteModelOptions, 'retries' | 'headers'>> & RemoteModelOptions;
  private readonly v2: V2Client | undefined;
  /** gRPC's client, loaded on first use (Node only). */
  private grpc: Promise<GrpcModelClient> | undefined;
  /** The previous answer's memory, with `reuse`. */
  private readonly answers: AnswerMemory | undefined;
  private cachedMetadata: MetadataResponse | undefined;
  private pendingMetadata: Promise<MetadataResponse | undefined> | undefined;

  constructor(url: string | URL, options: RemoteModelOptions = {}) {
    this.url = String(url);
    this.options = { retries: 2, headers: {}, ...options };
    this.answers = options.reuse ? new AnswerMemory() : undefined;
    const { compression } = options;
    if (options.transport && options.fetch) throw new TypeError('give either fetch or transport, not both');
    if (compression !== undefined && compression !== 'gzip' && compression !== 'deflate') {
      throw new TypeError(`compression must be 'gzip' or 'deflate', not ${JSON.stringify(compression)}`);
    }
    this.protocol =
      options.protocol ??
      (isGrpcUrl(this.url) ? 'grpc' : options.model !== undefined || isV2ModelUrl(this.url) ? 'v2' : 'graphpipe');
    if (this.protocol === 'grpc') {
      this.grpc = loadGrpc(grpcTarget(this.url, options.model, options.version), options.ca);
      // Not left unhandled when nothing calls it; each call sees the failure.
      this.grpc.catch(() => {});
    } else if (this.protocol === 'v2') {
      this.v2 = new V2Client(v2Target(this.url, options.model, options.version), options.encoding !== 'json');
    } else if (options.model !== undefined || options.version !== undefined || options.encoding !== undefined) {
      throw new TypeError('model, version and encoding are options of the v2 protocol (protocol: "v2")');
    }
  }

  /**
   * Fetches the model's metadata (safe to retry, so it retries refused connections) and keeps it
   * for naming outputs; call it again to refresh.
   */
  async metadata(options: CallOptions = {}): Promise<MetadataResponse> {
    const call = this.deadline(options);
    const oip = this.grpc ? await this.grpc : this.v2;
    if (oip) {
      this.cachedMetadata = await oip.metadata(this.postOptions(call, this.options.retries));
      return this.cachedMetadata;
    }
    const bytes = await this.post([encodeMetadataRequest()], call, this.options.retries);
    this.cachedMetadata = decode(() => decodeMetadataResponse(bytes), this.url);
    return this.cachedMetadata;
  }

  /** Runs the model. Fails with a GraphPipeError carrying the server's status and message. */
  async infer(inputs: InferInputs, options: InferOptions = {}): Promise<InferResult> {
    const { tensors, names } = normalizeInputs(inputs, options.inputNames);
    if (this.v2 || this.grpc) return this.inferV2(tensors, names, options);
    const body = encodeInferRequestChunks({
      inputs: tensors,
      inputNames: names,
      outputNames: options.outputNames,
      config: options.config,
    });
    const call = this.deadline(options);
    // Only a refused connection is retried: once a request was sent, running it again could repeat its effect.
    const { bytes } = await this.intoMemory(options, async (into) => ({
      bytes: await this.post(body, call, this.options.retries, into),
    }));
    const response = decode(() => decodeInferResponse(bytes), this.url);
    if (response.errors.length) {
      const message = response.errors.map((e) => `${e.message} (code ${e.code})`).join('; ');
      throw new GraphPipeError('INTERNAL', `${this.url} reported: ${message}`, { status: 200 });
    }
    const outputNames = options.outputNames?.length
      ? options.outputNames
      : defaultOutputNames(await untilAborted(this.sharedMetadata(), call.signal), response.outputs.length);
    return { outputs: response.outputs, byName: nameOutputs(response.outputs, outputNames) };
  }

  /** Over v2 and gRPC every input is named: unnamed ones take the model's input names, by position. */
  private async inferV2(
    tensors: readonly Tensor[],
    names: readonly string[] | undefined,
    options: InferOptions,
  ): Promise<InferResult> {
    const call = this.deadline(options);
    let inputNames = names ?? [];
    if (tensors.some((_, i) => !inputNames[i])) {
      // Concurrent first calls share one metadata fetch; if it failed, asking again says why.
      const meta = (await untilAborted(this.sharedMetadata(), call.signal)) ?? (await this.metadata(call));
      const declared = meta.inputs;
      inputNames = tensors.map((_, i) => inputNames[i] || declared[i]?.name || '');
      const unnamed = inputNames.indexOf('');
      if (unnamed >= 0) {
        throw new GraphPipeError(
          'INVALID_ARGUMENT',
          `input ${unnamed} has no name and the model lists ${declared.length} input(s); name it`,
        );
      }
    }
    // Only a refused connection is retried: once a request was sent, running it again could repeat its effect.
    const request: V2InferCall = {
      inputs: tensors.map((tensor, i) => ({ name: inputNames[i]!, tensor })),
      outputNames: options.outputNames,
      config: options.config,
    };
    const sent = this.postOptions(call, this.options.retries);
    const outputs = this.grpc
      ? await (await this.grpc).infer(request, sent)
      : (await this.intoMemory(options, (into) => this.v2!.infer(request, sent, into))).outputs;
    return {
      outputs: outputs.map((o) => o.tensor),
      byName: nameOutputs(
        outputs.map((o) => o.tensor),
        outputs.map((o) => o.name),
      ),
    };
  }

  /** Closes the gRPC channel, if any (HTTP connections need no closing). The model is unusable after. */
  close(): void {
    void this.grpc?.then((client) => client.close());
  }

  /**
   * The metadata, fetched once for all callers: concurrent first calls share one request, and a
   * failed fetch is forgotten so that the next call tries again. Never rejects (undefined on failure).
   */
  private sharedMetadata(): Promise<MetadataResponse | undefined> {
    if (this.cachedMetadata) return Promise.resolve(this.cachedMetadata);
    this.pendingMetadata ??= this.metadata()
      .then(
        (meta) => meta,
        () => undefined,
      )
      .finally(() => {
        this.pendingMetadata = undefined;
      });
    return this.pendingMetadata;
  }

  /**
   * Runs `read` with the memory its answer may go into: the call's `into`, else with `reuse` the
   * previous answer's, which then keeps this answer's memory for the next call.
   */
  private async intoMemory<T extends { bytes: Uint8Array }>(
    options: InferOptions,
    read: (into: Uint8Array | undefined) => Promise<T>,
  ): Promise<T> {
    if (options.into || !this.answers) return read(options.into);
    const taken = this.answers.take();
    let answer: T | undefined;
    try {
      answer = await read(taken);
      return answer;
    } finally {
      this.answers.keep(answer?.bytes, taken);
    }
  }

  /**
   * A call's deadline (the earlier of its time limit, else the instance's, and its `deadline`)
   * joined to its signal.
   */
  private deadline(options: CallOptions): CallOptions {
    const limit = options.timeoutMs ?? this.options.timeoutMs;
    if (limit === undefined && options.deadline === undefined) return { signal: options.signal };
    const now = performance.now();
    const byLimit = limit === undefined ? Infinity : now + limit;
    if (options.deadline === undefined || byLimit <= options.deadline) {
      return { signal: callSignal(options.signal, limit), timeoutMs: limit, deadline: byLimit };
    }
    const timeoutMs = Math.max(0, Math.ceil(options.deadline - now));
    return { signal: callSignal(options.signal, timeoutMs), timeoutMs, deadline: options.deadline };
  }

  private post(chunks: readonly Uint8Array[], call: CallOptions, retries: number, into?: Uint8Array) {
    return post(this.url, chunks, this.postOptions(call, retries), into);
  }

  private postOptions(call: CallOptions, retries: number): PostOptions {
    return {
      transport: this.options.transport,
      fetch: this.options.fetch ?? globalThis.fetch,
      headers: this.options.headers,
      signal: call.signal,
      timeoutMs: call.timeoutMs,
      deadline: call.deadline,
      retries,
      streamUploads: this.options.streamUploads ?? canStreamUploads,
      compression: this.options.compression,
    };
  }
}

/**
 * The gRPC client, imported only for a grpc:// URL: it needs Node and `@grpc/grpc-js`, which a
 * browser bundle must not pull in (hence the specifier a bundler does not follow).
 */
async function loadGrpc(target: GrpcTarget, ca: string | Uint8Array | undefined): Promise<GrpcModelClient> {
  const specifier = './grpc-client.js';
  let module: typeof import('./grpc-client.js');
  try {
    module = await import(/* @vite-ignore */ specifier);
  } catch (err) {
    throw new GraphPipeError(
      'INVALID_ARGUMENT',
      `gRPC needs Node and the @grpc/grpc-js package (npm install @grpc/grpc-js): ${(err as Error).message}`,
      { cause: err },
    );
  }
  return new module.GrpcModelClient(target, ca);
}

/**
 * Names for an answer to a request that named no outputs. The metadata lists every output, not
 * the server's defaults, so its names are trusted only when the counts agree.
 */
function defaultOutputNames(metadata: MetadataResponse | undefined, count: number): readonly string[] {
  return metadata?.outputs.length === count ? metadata.outputs.map((o) => o.name) : [];
}

/** Outputs by name, in an object without a prototype: a name like `__proto__` is a plain key. */
function nameOutputs(outputs: readonly Tensor[], names: readonly string[]): Record<string, Tensor> {
  const byName: Record<string, Tensor> = Object.create(null);
  outputs.forEach((t, i) => {
    const name = names[i];
    if (name !== undefined) byName[name] = t;
  });
  return byName;
}

/** The promise's value, or undefined if the signal aborts first. */
function untilAborted<T>(promise: Promise<T> | undefined, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (!promise || !signal) return Promise.resolve(promise);
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const stop = () => resolve(undefined);
    signal.addEventListener('abort', stop, { once: true });
    promise.then(resolve, stop).finally(() => signal.removeEventListener('abort', stop));
  });
}

function normalizeInputs(inputs: InferInputs, inputNames?: readonly string[]) {
  if (Array.isArray(inputs)) return { tensors: inputs as readonly Tensor[], names: inputNames };
  if (isTensor(inputs)) return { tensors: [inputs], names: inputNames };
  const entries = Object.entries(inputs as Record<string, Tensor>);
  return { tensors: entries.map(([, t]) => t), names: entries.map(([n]) => n) };
}

function decode<T>(fn: () => T, url: string): T {
  return decodeAnswer(fn, url, 'a GraphPipe message');
}
