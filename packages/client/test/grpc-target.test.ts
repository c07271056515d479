// grpc:// URLs: where the model is, read without loading the gRPC library.
import { describe, expect, test } from 'vitest';
import { RemoteModel } from '../src/index.js';
import { grpcTarget, isGrpcUrl } from '../src/grpc-target.js';

describe('a gRPC model URL', () => {
  test('names the host, the model and its version; grpcs:// is TLS', () => {
    expect(grpcTarget('grpc://127.0.0.1:8001/models/iris', undefined, undefined)).toEqual({
      address: '127.0.0.1:8001',
      tls: false,
      model: 'iris',
      version: undefined,
    });
    expect(grpcTarget('grpcs://triton.internal:443/v2/models/my%20model/versions/3', undefined, undefined)).toEqual({
      address: 'triton.internal:443',
      tls: true,
      model: 'my model',
      version: '3',
    });
    // Without a port, Triton's.
    expect(grpcTarget('grpc://triton', 'iris', '2')).toMatchObject({
      address: 'triton:8001',
      model: 'iris',
      version: '2',
    });
    expect(isGrpcUrl('GRPC://x:1')).toBe(true);
    expect(isGrpcUrl('http://x:1/v2/models/a')).toBe(false);
  });

  test('without a model, or with another path, is refused at once, saying the form', () => {
    expect(() => new RemoteModel('grpc://127.0.0.1:8001')).toThrow(/gRPC needs a model/);
    expect(() => new RemoteModel('grpc://127.0.0.1:8001/infer')).toThrow(/grpc:\/\/host:port\/models\/<name>/);
    expect(new RemoteModel('grpc://127.0.0.1:8001', { model: 'iris' }).protocol).toBe('grpc');
  });
});
