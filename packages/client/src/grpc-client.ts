/**
 * A model over the Open Inference Protocol's gRPC service (Triton's and KServe's
 * `inference.GRPCInferenceService`), in Node with `@grpc/grpc-js`: metadata as GraphPipe's
 * MetadataResponse, inference with raw contents both ways (outputs are views of the received
 * message where aligned), errors as GraphPipeErrors. RemoteModel loads it for grpc:// URLs.
 */
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ERROR_CODE_HEADER, GraphPipeError, isErrorCode, type MetadataResponse, messageOf } from '@graphpipe/protocol';
import {
  codeFromGrpcStatus,
  type DescMessage,
  fromBinary,
  GRPCInferenceService,
  inferRequest,
  type MessageShape,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  ModelMetadataRequestSchema,
  ModelMetadataResponseSchema,
  responseOutputs,
  ServerMetadataRequestSchema,
  ServerMetadataResponseSchema,
  toBinary,
  create,
  v2MetadataOf,
} from '@graphpipe/protocol/grpc';
import { type NamedTensor, tensorSpecsFromV2 } from '@graphpipe/protocol/v2';
import { abortError, type PostOptions } from './transport.js';
import type { GrpcTarget } from './grpc-target.js';
import { hasTimeoutHeader } from './timeout-header.js';
import type { V2InferCall } from './v2-client.js';

export class GrpcModelClient {
  private readonly client: Client;
  private readonly url: string;

  constructor(
    readonly target: GrpcTarget,
    /** PEM certificate authorities to trust for grpcs://, in place of Node's. */
    ca?: string | Uint8Array,
  ) {
    const creds = target.tls
      ? credentials.createSsl(ca === undefined ? null : Buffer.from(ca as string))
      : credentials.createInsecure();
    this.client = new Client(target.address, creds, {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
    this.url = `${target.tls ? 'grpcs' : 'grpc'}://${target.address}`;
  }

  /** The model's metadata, and the server's name and version, as GraphPipe's metadata. */
  async metadata(options: PostOptions): Promise<MetadataResponse> {
    const { model, version } = this.target;
    const [meta, server] = await Promise.all([
      this.call(
        'ModelMetadata',
        ModelMetadataRequestSchema,
        { name: model, version: version ?? '' },
        ModelMetadataResponseSchema,
        options,
      ),
      // Gateways may expose only the model's methods: the server's name is a nicety.
      this.call('ServerMetadata', ServerMetadataRequestSchema, {}, ServerMetadataResponseSchema, options).catch(
        () => undefined,
      ),
    ]);
    const specs = tensorSpecsFromV2(v2MetadataOf(meta));
    return {
      name: specs.name,
      version: version ?? specs.versions.at(-1) ?? '',
      server: server ? [server.name, server.version].filter(Boolean).join(' ') : '',
      description: '',
      inputs: specs.inputs,
      outputs: specs.outputs,
    };
  }

  /** Runs the model; the answer's outputs carry their names. */
  async infer(call: V2InferCall, options: PostOptions): Promise<readonly NamedTensor[]> {
    const request = inferRequest({
      modelName: this.target.model,
      modelVersion: this.target.version,
      inputs: call.inputs,
      outputNames: call.outputNames,
      config: call.config,
    });
    const bytes = await this.unary('ModelInfer', toBinary(ModelInferRequestSchema, request), options);
    try {
      return responseOutputs(fromBinary(ModelInferResponseSchema, bytes));
    } catch (err) {
      throw new GraphPipeError(
        'INVALID_MESSAGE',
        `${this.url} sent an answer that is not a ModelInferResponse: ${messageOf(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  close(): void {
    this.client.close();
  }

  private async call<I extends DescMessage, O extends DescMessage>(
    method: string,
    input: I,
    init: Parameters<typeof create<I>>[1],
    output: O,
    options: PostOptions,
  ): Promise<MessageShape<O>> {
    const bytes = await this.unary(method, toBinary(input, create(input, init)), options);
    try {
      return fromBinary(output, bytes);
    } catch (err) {
      throw new GraphPipeError(
        'INVALID_MESSAGE',
        `${this.url} sent an answer that is not a ${output.typeName}: ${messageOf(err)}`,
      );
    }
  }

  /** One unary call of the inference service, bytes in and out, failures as GraphPipeErrors. */
  private unary(method: string, request: Uint8Array, options: PostOptions): Promise<Uint8Array> {
    const path = `/${GRPCInferenceService.typeName}/${method}`;
    const metadata = new Metadata();
    for (const [name, value] of Object.entries(options.headers)) metadata.set(name.toLowerCase(), value);
    const { signal, timeoutMs, deadline } = options;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError(signal, timeoutMs, this.url, undefined));
      const call = this.client.makeUnaryRequest(
        path,
        (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        (bytes: Buffer) => bytes as Uint8Array,
        request,
        metadata,
        // The call's deadline, which grpc-js sends as grpc-timeout (the server stops at it too),
        // unless the caller's headers carry one: that goes alone, as over HTTP.
        deadline === undefined || hasTimeoutHeader(options.headers)
          ? {}
          : { deadline: Date.now() + (deadline - performance.now()) },
        (err: ServiceError | null, answer?: Uint8Array) => {
          signal?.removeEventListener('abort', cancel);
          if (err) reject(signal?.aborted ? abortError(signal, timeoutMs, this.url, err) : this.failure(err));
          else resolve(answer!);
        },
      );
      const cancel = () => call.cancel();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /**
   * A failed call as a GraphPipeError: the code our server names in the trailers, else the one
   * the status means; UNAVAILABLE without a server's word is a connection that failed (NETWORK).
   */
  private failure(err: ServiceError): GraphPipeError {
    const named = err.metadata?.get(ERROR_CODE_HEADER)[0];
    const code = isErrorCode(named)
      ? named
      : err.code === status.UNAVAILABLE
        ? 'NETWORK'
        : codeFromGrpcStatus(err.code);
    const retryAfter = Number(err.metadata?.get('retry-after')[0] ?? Number.NaN);
    return new GraphPipeError(code, `${this.url} answered ${status[err.code]}: ${err.details}`, {
      cause: err,
      ...(Number.isFinite(retryAfter) ? { retryAfter } : {}),
    });
  }
}
