/** ModelInfer calls as the gRPC cells make them: encoded once, sent as bytes, the answer checked. */
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { tensor } from '@graphpipe/protocol';
import {
  fromBinary,
  GRPCInferenceService,
  inferRequest,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
  responseOutputs,
  toBinary,
} from '@graphpipe/protocol/grpc';
import { sameEnds } from './large-client.js';

export const INFER_PATH = `/${GRPCInferenceService.typeName}/${GRPCInferenceService.method.modelInfer.name}`;

/** One gRPC channel (one HTTP/2 connection) sending pre-encoded ModelInfer requests. */
export function grpcCaller(url: string) {
  const client = new Client(url.replace('grpc://', ''), credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  });
  const call = (bytes: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      client.makeUnaryRequest(
        INFER_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        bytes,
        new Metadata(),
        {},
        (err, answer) => (err ? reject(err) : resolve(answer!)),
      );
    });
  return { call, close: () => client.close() };
}

/** The request for `data` as a batch of rows, encoded once; the check of the first answer. */
export function encoded(data: Float32Array, shape: readonly number[]) {
  const request = inferRequest({ modelName: 'identity', inputs: [{ name: 'input0', tensor: tensor(data, shape) }] });
  const bytes = Buffer.from(toBinary(ModelInferRequestSchema, request));
  const check = (answer: Buffer) => {
    const out = responseOutputs(fromBinary(ModelInferResponseSchema, answer))[0]!.tensor.data as Float32Array;
    if (!sameEnds(out, data)) throw new Error('the gRPC server answered other values than it was sent');
  };
  return { bytes, check };
}

/** A message as it travels in a gRPC stream: a flag byte (not compressed), its length, then the message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}
