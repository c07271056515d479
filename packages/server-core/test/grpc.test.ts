// The Open Inference Protocol over gRPC on a real server's own port: every RPC, every dtype both
// as raw and typed contents, Triton's status codes for every kind of error, tokens, limits,
// metrics, the graceful shutdown, and fuzzed messages answered with proper statuses while the
// server keeps serving.
import { ALL_DTYPES, GraphPipeError, RemoteModel, type Tensor, tensor } from '@graphpipe/client';
import {
  create,
  fromBinary,
  GRPCInferenceService,
  GrpcStatus,
  Health,
  HealthCheckResponse_ServingStatus,
  inferRequest,
  ModelInferRequestSchema,
  ModelStreamInferResponseSchema,
  responseOutputs,
  toBinary,
} from '@graphpipe/protocol/grpc';
import { createFunctionBackend } from '@graphpipe/server-core';
import { serveGrpc } from '@graphpipe/server-core/grpc';
import { rejection } from '@graphpipe/test-utils';
import * as fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ok, useGrpcClients } from './grpc-helpers.js';
import { doubler, expectSameTensor, gate, getJson, SAMPLES, useServers, values } from './helpers.js';

const start = useServers();
const connect = useGrpcClients();
const M = GRPCInferenceService.method;

const echo = (name = 'echo') => createFunctionBackend(({ input0 }) => input0!, { name });
/** Echoes, once `until` resolves. */
const held = (until: Promise<void>) =>
  createFunctionBackend(
    async ({ input0 }) => {
      await until;
      return input0!;
    },
    { name: 'slow' },
  );
const x = tensor(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]), [2, 4]);

/** A ModelInfer call of `name` with four bytes as input0. */
const fourBytes = (raw: ReturnType<typeof connect>, name: string) =>
  raw.bytes(
    'ModelInfer',
    toBinary(
      ModelInferRequestSchema,
      inferRequest({ modelName: name, inputs: [{ name: 'input0', tensor: tensor(new Uint8Array(4)) }] }),
    ),
  );

async function grpcServer(options: Parameters<typeof start>[1] = {}) {
  const handle = await start([doubler(), echo()], { grpc: { port: 0 }, ...options });
  return { handle, url: handle.grpc!.url, raw: connect(handle.grpc!.url) };
}

describe('every RPC', () => {
  test('health, readiness and metadata answer as the REST protocol does', async () => {
    const { handle, raw } = await grpcServer();
    expect(ok(await raw.call(M.serverLive, {})).live).toBe(true);
    expect(ok(await raw.call(M.serverReady, {})).ready).toBe(true);
    expect(ok(await raw.call(M.modelReady, { name: 'doubler' })).ready).toBe(true);
    const server = ok(await raw.call(M.serverMetadata, {}));
    const rest = (await getJson<{ name: string; version: string; extensions: string[] }>(`${handle.url}/v2`)).body;
    expect({ name: server.name, version: server.version, extensions: server.extensions }).toEqual(rest);
    const meta = ok(await raw.call(M.modelMetadata, { name: 'doubler' }));
    const restMeta = (await getJson<Record<string, unknown>>(`${handle.url}/v2/models/doubler`)).body;
    expect({
      name: meta.name,
      versions: meta.versions,
      platform: meta.platform,
      inputs: meta.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) })),
      outputs: meta.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape.map(Number) })),
    }).toEqual(restMeta);
    const health = ok(await raw.call(Health.method.check, { service: '' }, {}, Health));
    expect(health.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const model = ok(await raw.call(Health.method.check, { service: 'doubler' }, {}, Health));
    expect(model.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const unknown = await raw.call(Health.method.check, { service: 'nope' }, {}, Health);
    expect(unknown.ok || unknown.code).toBe(GrpcStatus.NOT_FOUND);
  });

  test('ModelInfer with raw contents, named outputs and the config parameter; the id comes back', async () => {
    const { raw, url } = await grpcServer();
    const request = inferRequest({ modelName: 'doubler', id: 'r1', inputs: [{ name: 'x', tensor: x }], config: '3' });
    const answer = ok(await raw.bytes('ModelInfer', toBinary(ModelInferRequestSchema, request)));
    const response = fromBinary((await import('@graphpipe/protocol/grpc')).ModelInferResponseSchema, answer);
    expect(response.id).toBe('r1');
    expect(response.modelName).toBe('doubler');
    const outputs = responseOutputs(response);
    expect(outputs.map((o) => o.name)).toEqual(['y', 'total']);
    expect(values(outputs[0]!.tensor)).toEqual([3, 6, 9, 12, 15, 18, 21, 24]);
    expect(values(outputs[1]!.tensor)).toEqual([30, 78]);
    const model = new RemoteModel(`${url}/models/doubler`);
    const { byName } = await model.infer(x, { outputNames: ['total'] });
    expect(values(byName.total!)).toEqual([20, 52]);
    expect((await model.metadata()).inputs[0]).toMatchObject({ name: 'x', dtype: 'float32', shape: [-1, 4] });
    model.close();
  });

  test('ModelConfig and ModelStatistics carry what the REST endpoints say', async () => {
    const { handle, raw, url } = await grpcServer();
    const model = new RemoteModel(`${url}/models/doubler`);
    await model.infer(x);
    model.close();
    const config = ok(await raw.call(M.modelConfig, { name: 'doubler' })).config!;
    const rest = (
      await getJson<{ name: string; max_batch_size: number; input: { data_type: string }[] }>(
        `${handle.url}/v2/models/doubler/config`,
      )
    ).body;
    expect(config.name).toBe(rest.name);
    expect(config.maxBatchSize).toBe(rest.max_batch_size);
    expect(config.input.map((i) => i.name)).toEqual(['x']);
    expect(config.input[0]!.dims.map(Number)).toEqual([-1, 4]);
    const stats = ok(await raw.call(M.modelStatistics, { name: 'doubler' })).modelStats;
    expect(stats).toHaveLength(1);
    expect(stats[0]!.inferenceCount).toBe(2n);
    expect(stats[0]!.inferenceStats!.success!.count).toBe(1n);
    expect(
      ok(await raw.call(M.modelStatistics, {}))
        .modelStats.map((s) => s.name)
        .sort(),
    ).toEqual(['doubler', 'echo']);
  });

  test('ModelStreamInfer answers each request in order, failures as error messages, and goes on', async () => {
    const { raw } = await grpcServer();
    const path = `/${GRPCInferenceService.typeName}/${M.modelStreamInfer.name}`;
    const stream = raw.client.makeBidiStreamRequest(
      path,
      (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      (b: Buffer) => fromBinary(ModelStreamInferResponseSchema, b),
    );
    const answers: ReturnType<typeof fromBinary<typeof ModelStreamInferResponseSchema>>[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on('data', (a) => answers.push(a));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    for (const [i, name] of ['doubler', 'nope', 'doubler'].entries()) {
      const request = inferRequest({
        modelName: name,
        id: String(i),
        inputs: [{ name: 'x', tensor: x }],
        config: String(i + 1),
      });
      stream.write(toBinary(ModelInferRequestSchema, request));
    }
    stream.end();
    await done;
    expect(answers.map((a) => a.inferResponse?.id ?? a.errorMessage)).toEqual([
      '0',
      expect.stringMatching(/nope/),
      '2',
    ]);
    expect(values(responseOutputs(answers[2]!.inferResponse!)[1]!.tensor)).toEqual([30, 78]);
  });

  test('the repository RPCs, for administrators only; RPCs not served answer UNIMPLEMENTED', async () => {
    const { handle, raw } = await grpcServer({ adminToken: 'root' });
    const changes: string[] = [];
    const repository = {
      index: async () => [
        { name: 'doubler', version: '1', state: 'READY' as const },
        { name: 'other', state: 'UNAVAILABLE' as const, reason: 'not loaded' },
      ],
      administer: async (c: { action: string; name: string }) => {
        if (c.name === 'missing') throw new GraphPipeError('NOT_FOUND', 'no model "missing" in the repository');
        changes.push(`${c.action} ${c.name}`);
      },
    };
    const admin = await serveGrpc(handle.core, { port: 0, repository });
    const adminRaw = connect(admin.url);
    const auth = { authorization: 'Bearer root' };
    try {
      const index = ok(await adminRaw.call(M.repositoryIndex, {}, auth)).models;
      expect(index.map((m) => [m.name, m.version, m.state, m.reason])).toEqual([
        ['doubler', '1', 'READY', ''],
        ['other', '', 'UNAVAILABLE', 'not loaded'],
      ]);
      ok(await adminRaw.call(M.repositoryModelLoad, { modelName: 'other' }, auth));
      ok(await adminRaw.call(M.repositoryModelUnload, { modelName: 'other' }, auth));
      expect(changes).toEqual(['load other', 'unload other']);
      const missing = await adminRaw.call(M.repositoryModelLoad, { modelName: 'missing' }, auth);
      expect(missing.ok || missing.code).toBe(GrpcStatus.NOT_FOUND);
      const anonymous = await adminRaw.call(M.repositoryIndex, {});
      expect(anonymous.ok || anonymous.code).toBe(GrpcStatus.UNAUTHENTICATED);
      const wrong = await adminRaw.call(M.repositoryIndex, {}, { authorization: 'Bearer guess' });
      expect(wrong.ok || wrong.code).toBe(GrpcStatus.PERMISSION_DENIED);
      // The serve() front door has no repository: NOT_FOUND says so.
      const none = await raw.call(M.repositoryIndex, {}, auth);
      expect(none.ok || none.details).toMatch(/no model repository/);
      const shm = await raw.call(M.systemSharedMemoryStatus, {});
      expect(shm.ok || shm.code).toBe(GrpcStatus.UNIMPLEMENTED);
    } finally {
      await admin.listener.stopAccepting();
    }
  });
});

describe('every dtype', () => {
  test('round-trips through an echo model as raw contents, bytes exact', async () => {
    const { url } = await grpcServer();
    const model = new RemoteModel(`${url}/models/echo`);
    for (const dtype of ALL_DTYPES) {
      const sent = SAMPLES[dtype];
      const { outputs } = await model.infer({ input0: sent });
      expectSameTensor(outputs[0], sent);
    }
    model.close();
  });

  test('typed contents are read for every datatype that has them', async () => {
    const { raw } = await grpcServer();
    const cases: [string, Record<string, unknown>, Tensor][] = [
      ['BOOL', { boolContents: [true, false] }, tensor(new Uint8Array([1, 0]), [2], 'bool')],
      ['INT8', { intContents: [-128, 127] }, tensor(new Int8Array([-128, 127]))],
      ['INT16', { intContents: [-32768, 7] }, tensor(new Int16Array([-32768, 7]))],
      ['INT32', { intContents: [-(2 ** 31), 5] }, tensor(new Int32Array([-(2 ** 31), 5]))],
      ['INT64', { int64Contents: [-(2n ** 63n), 1n] }, tensor(new BigInt64Array([-(2n ** 63n), 1n]))],
      ['UINT8', { uintContents: [0, 255] }, tensor(new Uint8Array([0, 255]))],
      ['UINT16', { uintContents: [65535, 1] }, tensor(new Uint16Array([65535, 1]))],
      ['UINT32', { uintContents: [2 ** 32 - 1, 0] }, tensor(new Uint32Array([2 ** 32 - 1, 0]))],
      ['UINT64', { uint64Contents: [2n ** 64n - 1n, 3n] }, tensor(new BigUint64Array([2n ** 64n - 1n, 3n]))],
      ['FP32', { fp32Contents: [1.5, -2] }, tensor(new Float32Array([1.5, -2]))],
      ['FP64', { fp64Contents: [Math.PI, -0] }, tensor(new Float64Array([Math.PI, -0]))],
      [
        'BYTES',
        { bytesContents: [new Uint8Array([0, 255]), new Uint8Array([104, 105])] },
        tensor([new Uint8Array([0, 255]), 'hi']),
      ],
    ];
    for (const [datatype, contents, expected] of cases) {
      const request = create(ModelInferRequestSchema, {
        modelName: 'echo',
        inputs: [{ name: 'input0', datatype, shape: [2n], contents }],
      });
      const answer = fromBinary(
        (await import('@graphpipe/protocol/grpc')).ModelInferResponseSchema,
        ok(await raw.bytes('ModelInfer', toBinary(ModelInferRequestSchema, request))),
      );
      expect(values(responseOutputs(answer)[0]!.tensor), datatype).toEqual(values(expected));
    }
  });
});

describe('errors', () => {
  const call = async (
    raw: ReturnType<typeof connect>,
    init: Parameters<typeof create<typeof ModelInferRequestSchema>>[1],
    headers = {},
  ) => raw.bytes('ModelInfer', toBinary(ModelInferRequestSchema, create(ModelInferRequestSchema, init)), headers);

  test("Triton's status codes, one-line details, and the code named in the trailers", async () => {
    const { raw } = await grpcServer();
    const cases: [Parameters<typeof call>[1], number, RegExp][] = [
      [{ modelName: 'nope' }, GrpcStatus.NOT_FOUND, /no model "nope"/],
      [{ modelName: 'doubler', modelVersion: '9' }, GrpcStatus.NOT_FOUND, /version "9"/],
      [{ modelName: '..' }, GrpcStatus.INVALID_ARGUMENT, /name/],
      [
        { modelName: 'echo', inputs: [{ name: 'input0', datatype: 'BF16', shape: [1n] }] },
        GrpcStatus.INVALID_ARGUMENT,
        /BF16/,
      ],
      [
        {
          modelName: 'echo',
          inputs: [{ name: 'input0', datatype: 'FP32', shape: [3n], contents: { fp32Contents: [1] } }],
        },
        GrpcStatus.INVALID_ARGUMENT,
        /needs 3 elements/,
      ],
      [
        {
          modelName: 'echo',
          inputs: [{ name: 'input0', datatype: 'INT8', shape: [1n], contents: { intContents: [300] } }],
        },
        GrpcStatus.INVALID_ARGUMENT,
        /out of range/,
      ],
      [
        {
          modelName: 'echo',
          inputs: [{ name: 'input0', datatype: 'FP32', shape: [2n] }],
          rawInputContents: [new Uint8Array(3)],
        },
        GrpcStatus.INVALID_ARGUMENT,
        /binary_data_size/,
      ],
      [
        {
          modelName: 'echo',
          inputs: [
            { name: 'a', datatype: 'FP32', shape: [0n] },
            { name: 'b', datatype: 'FP32', shape: [0n] },
          ],
          rawInputContents: [new Uint8Array(0)],
        },
        GrpcStatus.INVALID_ARGUMENT,
        /send all or none/,
      ],
      [
        {
          modelName: 'doubler',
          inputs: [{ name: 'x', datatype: 'FP64', shape: [1n, 4n] }],
          rawInputContents: [new Uint8Array(32)],
        },
        GrpcStatus.INVALID_ARGUMENT,
        /x/,
      ],
      [
        {
          modelName: 'echo',
          inputs: [{ name: 'input0', datatype: 'BOOL', shape: [1n] }],
          rawInputContents: [new Uint8Array([7])],
        },
        GrpcStatus.INVALID_ARGUMENT,
        /BOOL element 0/,
      ],
      [
        { modelName: 'echo', inputs: [{ name: 'input0', datatype: 'FP16', shape: [1n], contents: {} }] },
        GrpcStatus.INVALID_ARGUMENT,
        /FP16/,
      ],
      [
        {
          modelName: 'echo',
          parameters: { config: { parameterChoice: { case: 'int64Param', value: 1n } } },
          inputs: [{ name: 'input0', datatype: 'BOOL', shape: [0n] }],
        },
        GrpcStatus.INVALID_ARGUMENT,
        /config/,
      ],
    ];
    for (const [init, code, message] of cases) {
      const outcome = await call(raw, init);
      if (outcome.ok)
        throw new Error(
          `expected status ${code} for ${JSON.stringify(init, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
        );
      expect(outcome.code, outcome.details).toBe(code);
      expect(outcome.details).toMatch(message);
      expect(outcome.details).not.toMatch(/\n/);
      expect(outcome.trailers.get('graphpipe-error-code')).toHaveLength(1);
    }
    const garbage = await raw.bytes('ModelInfer', new Uint8Array([0xff, 0xff, 0xff]));
    expect(garbage.ok || garbage.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(garbage.ok || garbage.trailers.get('graphpipe-error-code')).toEqual(['INVALID_MESSAGE']);
  });

  test('the client reports them as GraphPipeErrors with the same codes as over HTTP', async () => {
    const { url } = await grpcServer();
    await expect(new RemoteModel(`${url}/models/nope`).infer(x)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      new RemoteModel(`${url}/models/doubler`).infer(tensor(new Float32Array(3), [1, 3])),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(new RemoteModel('grpc://127.0.0.1:1/models/x').infer(x)).rejects.toMatchObject({ code: 'NETWORK' });
  });

  test('tokens in the authorization metadata: UNAUTHENTICATED without, PERMISSION_DENIED when wrong', async () => {
    const { raw, url } = await grpcServer({ authToken: 's3cret' });
    const init = { modelName: 'doubler', inputs: [] };
    expect((await call(raw, init)) as { code: number }).toMatchObject({ code: GrpcStatus.UNAUTHENTICATED });
    expect(await call(raw, init, { authorization: 'Bearer nope' })).toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
    });
    // Probes stay open.
    expect(ok(await raw.call(M.serverLive, {})).live).toBe(true);
    const model = new RemoteModel(`${url}/models/doubler`, { headers: { authorization: 'Bearer s3cret' } });
    expect(values((await model.infer(x)).outputs[1]!)).toEqual([20, 52]);
    model.close();
  });
});

describe('limits', () => {
  test('a message over maxBodyBytes is RESOURCE_EXHAUSTED, a full queue UNAVAILABLE, and the server goes on', async () => {
    const open = gate();
    const slow = held(open.promise);
    const handle = await start([slow, echo()], { grpc: { port: 0 }, maxBodyBytes: 1024, concurrency: 1, maxQueue: 0 });
    const raw = connect(handle.grpc!.url);
    const big = inferRequest({ modelName: 'echo', inputs: [{ name: 'input0', tensor: tensor(new Uint8Array(4096)) }] });
    const tooLarge = await raw.bytes('ModelInfer', toBinary(ModelInferRequestSchema, big));
    expect(tooLarge.ok || tooLarge.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    const small = (name: string) => fourBytes(raw, name);
    const first = small('slow');
    // The second waits for no slot (maxQueue 0): turned away while the first runs.
    await expect.poll(() => handle.core.load().running).toBe(1);
    const second = await small('slow');
    expect(second.ok || second.code).toBe(GrpcStatus.UNAVAILABLE);
    open.open();
    expect((await first).ok).toBe(true);
    expect((await small('echo')).ok).toBe(true);
  });
});

test('metrics count gRPC calls under protocol="grpc"', async () => {
  const { handle, url } = await grpcServer();
  const model = new RemoteModel(`${url}/models/doubler`);
  await model.infer(x);
  model.close();
  const scrape = await (await fetch(`${handle.url}/metrics`)).text();
  expect(scrape).toMatch(
    /graphpipe_requests_total\{protocol="grpc",kind="infer",status="200",model="doubler",version="1"\} 1/,
  );
});

test('shutdown: a call in flight finishes, a new call during the grace period gets UNAVAILABLE', async () => {
  const open = gate();
  const slow = held(open.promise);
  const handle = await start([slow, echo()], { grpc: { port: 0 } });
  const raw = connect(handle.grpc!.url);
  const request = (name: string) => fourBytes(raw, name);
  const inFlight = request('slow');
  await expect.poll(() => handle.core.load().running).toBe(1);
  // Long enough for two calls on a busy machine; the drain after it waits for the call in flight.
  const closed = handle.close({ graceMs: 5_000 });
  const turnedAway = await request('echo');
  expect(turnedAway.ok || turnedAway.code).toBe(GrpcStatus.UNAVAILABLE);
  expect(ok(await raw.call(M.serverReady, {})).ready).toBe(false);
  open.open();
  expect((await inFlight).ok).toBe(true);
  await closed;
});

test('fuzzed and mutated messages get only proper statuses, and the server keeps serving', async () => {
  const { raw } = await grpcServer({ maxBodyBytes: 64 * 1024 });
  const valid = toBinary(
    ModelInferRequestSchema,
    inferRequest({
      modelName: 'echo',
      inputs: [
        { name: 'input0', tensor: SAMPLES.string },
        { name: 'input1', tensor: SAMPLES.float32 },
      ],
    }),
  );
  const allowed = new Set<number>([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND, GrpcStatus.RESOURCE_EXHAUSTED]);
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        fc.tuple(fc.nat(valid.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([at, patch]) => {
          const copy = valid.slice();
          copy.set(patch.subarray(0, copy.length - at), at);
          return copy;
        }),
        fc.nat(valid.length).map((n) => valid.slice(0, n)),
      ),
      async (bytes) => {
        const outcome = await raw.bytes('ModelInfer', bytes);
        if (!outcome.ok) {
          expect(allowed.has(outcome.code), `${outcome.code}: ${outcome.details}`).toBe(true);
          expect(outcome.details).not.toMatch(/\n/);
        }
      },
    ),
    { numRuns: 300 },
  );
  expect(ok(await raw.call(M.serverLive, {})).live).toBe(true);
}, 120_000);

test('a gRPC port already in use is refused in one line that says what to do', async () => {
  const first = await start(doubler(), { grpc: { port: 0 } });
  const taken = first.grpc!.port;
  const refusal = await rejection(start(doubler(), { grpc: { port: taken } }));
  expect(String(refusal)).toMatch(
    new RegExp(`gRPC cannot listen on 127\\.0\\.0\\.1:${taken}: the port is in use; choose another port`),
  );
});
