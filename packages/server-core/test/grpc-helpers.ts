import {
  create,
  type DescMessage,
  fromBinary,
  GRPCInferenceService,
  type MessageShape,
  toBinary,
} from '@graphpipe/protocol/grpc';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterAll } from 'vitest';

/** A failed call's status, details and trailers; or the answer. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; code: number; details: string; trailers: Metadata };

/** Raw gRPC calls against a server, closed after the file's tests: any bytes, any metadata. */
export function useGrpcClients(): (address: string) => RawGrpc {
  const open: Client[] = [];
  afterAll(() => {
    for (const c of open.splice(0)) c.close();
  });
  return (address) => {
    const client = new Client(address.replace(/^grpc:\/\//, ''), credentials.createInsecure(), {
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': -1,
    });
    open.push(client);
    return new RawGrpc(client);
  };
}

export class RawGrpc {
  constructor(readonly client: Client) {}

  /** Sends `bytes` to a method (of the inference service unless the path says another) and returns the answer's bytes. */
  bytes(method: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<Outcome<Uint8Array>> {
    const path = method.startsWith('/') ? method : `/${GRPCInferenceService.typeName}/${method}`;
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        path,
        (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
        (b: Buffer) => new Uint8Array(b),
        bytes,
        metadata,
        { deadline: Date.now() + 60_000 },
        (err: ServiceError | null, value?: Uint8Array) =>
          resolve(
            err
              ? { ok: false, code: err.code, details: err.details, trailers: err.metadata }
              : { ok: true, value: value! },
          ),
      );
    });
  }

  /** A call with messages: `init` made into the input message, the answer decoded. */
  async call<I extends DescMessage, O extends DescMessage>(
    method: { readonly name: string; readonly input: I; readonly output: O },
    init: Parameters<typeof create<I>>[1],
    headers: Record<string, string> = {},
    service: { readonly typeName: string } = GRPCInferenceService,
  ): Promise<Outcome<MessageShape<O>>> {
    const answer = await this.bytes(
      `/${service.typeName}/${method.name}`,
      toBinary(method.input, create(method.input, init)),
      headers,
    );
    return answer.ok ? { ok: true, value: fromBinary(method.output, answer.value) } : answer;
  }
}

/** The answer of an outcome expected to succeed (its error in the failure message otherwise). */
export function ok<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`expected an answer, got status ${outcome.code}: ${outcome.details}`);
  return outcome.value;
}
