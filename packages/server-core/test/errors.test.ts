import {
  encodeInferRequest,
  GraphPipeError,
  isGraphPipeError,
  RemoteModel,
  type Tensor,
  tensor,
} from '@graphpipe/client';
import { type Backend, createFunctionBackend } from '@graphpipe/server-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { post, text, useServers, vector } from './helpers.js';

const start = useServers();

/** Expects a 4xx/5xx one-line text/plain answer and returns its line. */
async function expectTextError(url: string, body: Uint8Array, status: number, code?: string): Promise<string> {
  const res = await post(url, body);
  const line = text(res.bytes);
  expect(res.status, line).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  // The code travels in a header, so a client need not guess it from the status.
  if (code) expect(res.headers.get('graphpipe-error-code')).toBe(code);
  else expect(res.headers.get('graphpipe-error-code')).toMatch(/^[A-Z_]+$/);
  expect(line.endsWith('\n')).toBe(true);
  expect(line.trimEnd()).not.toContain('\n');
  expect(line.trim().length).toBeGreaterThan(10);
  return line.trim();
}

async function rejection(p: Promise<unknown>): Promise<GraphPipeError> {
  const err = await p.then(
    () => expect.unreachable('expected the call to fail'),
    (e: unknown) => e,
  );
  expect(isGraphPipeError(err)).toBe(true);
  return err as GraphPipeError;
}

describe('caller mistakes answer 400 and the server keeps serving', () => {
  let url: string;
  const a = tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
  const b = tensor(new Int32Array([1, 2, 3]), [3]);
  const calls: string[] = [];

  beforeAll(async () => {
    const backend = createFunctionBackend(
      (inputs, { outputNames }) => {
        calls.push(outputNames.join());
        const y = tensor(new Float32Array(inputs.a!.data as Float32Array), inputs.a!.shape);
        return { y, z: inputs.b! };
      },
      {
        name: 'strict',
        inputs: [
          { name: 'a', dtype: 'float32', shape: [-1, 2] },
          { name: 'b', dtype: 'int32', shape: [3] },
        ],
        outputs: [{ name: 'y' }, { name: 'z' }],
      },
    );
    url = (await start(backend)).url;
  });

  /** A valid request still works afterwards (the error did not break the server). */
  async function stillServes(): Promise<void> {
    const { outputs } = await new RemoteModel(url).infer({ a, b });
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    expect(Array.from(outputs[1]!.data as Int32Array)).toEqual([1, 2, 3]);
  }

  const request = (inputs: Tensor[], inputNames?: string[], outputNames?: string[]) =>
    encodeInferRequest({ inputs, inputNames, outputNames });

  const cases: Array<{ what: string; body: () => Uint8Array; says: RegExp; code?: string }> = [
    { what: 'unknown input name', body: () => request([a, b], ['a', 'nope']), says: /unknown input "nope"/ },
    {
      what: 'unknown output name',
      body: () => request([a, b], ['a', 'b'], ['y', 'bogus']),
      says: /unknown output "bogus"/,
    },
    {
      what: 'wrong dtype',
      body: () => request([tensor(new Float64Array(4), [2, 2]), b]),
      says: /input "a" must be float32, got float64/,
    },
    {
      what: 'wrong shape (fixed dim)',
      body: () => request([a, tensor(new Int32Array(4), [4])]),
      says: /input "b" must have shape \[3\], got \[4\]/,
    },
    {
      what: 'wrong shape (-1 dim ok, other dim wrong)',
      body: () => request([tensor(new Float32Array(6), [2, 3]), b]),
      says: /input "a" must have shape \[-1, 2\], got \[2, 3\]/,
    },
    {
      what: 'wrong rank',
      body: () => request([tensor(new Float32Array(4), [4]), b]),
      says: /input "a" must have shape \[-1, 2\], got \[4\]/,
    },
    { what: 'missing input', body: () => request([a]), says: /missing input "b"/ },
    {
      what: 'duplicate input',
      body: () => request([a, a, b], ['a', 'a', 'b']),
      says: /input "a" is given more than once/,
    },
    { what: 'more unnamed inputs than defaults', body: () => request([a, b, b]), says: /input tensor 2 has no name/ },
    { what: 'empty body', body: () => new Uint8Array(0), says: /0 bytes is too short/, code: 'INVALID_MESSAGE' },
    {
      what: 'garbage body',
      body: () => new TextEncoder().encode('this is not a flatbuffer, just some text'),
      says: /Request/,
      code: 'INVALID_MESSAGE',
    },
    {
      what: 'random bytes',
      body: () => Uint8Array.from({ length: 256 }, (_, i) => (i * 7919 + 13) & 0xff),
      says: /./,
      code: 'INVALID_MESSAGE',
    },
    {
      what: 'truncated valid body',
      body: () => vector('sample_request.bin').subarray(0, 60),
      says: /Request|InferRequest|Tensor/,
      code: 'INVALID_MESSAGE',
    },
    { what: 'truncated tensor data', body: () => request([a, b]).slice(0, -9), says: /./, code: 'INVALID_MESSAGE' },
    {
      what: 'InferRequest type with no table',
      body: () => new Uint8Array([8, 0, 0, 0, 0, 0, 6, 0, 8, 0, 4, 0, 6, 0, 0, 0, 1, 0, 0, 0]),
      says: /./,
      code: 'INVALID_MESSAGE',
    },
  ];

  test.each(cases)('$what', async ({ body, says, code }) => {
    calls.length = 0;
    const line = await expectTextError(
      url,
      body(),
      400,
      code ?? (/\/\./.test(String(says)) ? undefined : 'INVALID_ARGUMENT'),
    );
    expect(line).toMatch(says);
    expect(calls).toEqual([]); // the backend never saw it
    await stillServes();
  });

  test('-1 dimensions accept any size, zero included', async () => {
    for (const rows of [0, 1, 5]) {
      const { outputs } = await new RemoteModel(url).infer(
        { a: tensor(new Float32Array(rows * 2), [rows, 2]), b },
        { outputNames: ['y'] },
      );
      expect(outputs[0]!.shape).toEqual([rows, 2]);
    }
  });

  test('the client raises INVALID_ARGUMENT with status 400 and the server line', async () => {
    const model = new RemoteModel(url);
    const unknownInput = await rejection(model.infer([a, b], { inputNames: ['a', 'nope'] }));
    expect(unknownInput.code).toBe('INVALID_ARGUMENT');
    expect(unknownInput.status).toBe(400);
    expect(unknownInput.message).toContain(
      `${url} answered 400: unknown input "nope"; the model's inputs are "a", "b"`,
    );
    const unknownOutput = await rejection(model.infer({ a, b }, { outputNames: ['zz'] }));
    expect(unknownOutput.code).toBe('INVALID_ARGUMENT');
    expect(unknownOutput.status).toBe(400);
    expect(unknownOutput.message).toContain('unknown output "zz"');
    await stillServes();
  });
});

describe('server-side failures', () => {
  function throwing(fail: () => unknown): Backend {
    return createFunctionBackend(
      (inputs, { outputNames }) => {
        if (outputNames.includes('output0')) fail();
        return inputs.input0!;
      },
      { outputs: [{ name: 'output0' }, { name: 'other' }] },
    );
  }
  const x = tensor(new Float32Array([1]));

  test('a backend throwing a plain Error answers 500 with one text/plain line', async () => {
    const { url } = await start(
      throwing(() => {
        throw new Error('the model\nfell over\n  badly');
      }),
    );
    const line = await expectTextError(url, encodeInferRequest({ inputs: [x], outputNames: ['output0'] }), 500);
    expect(line).toBe('internal error: the model fell over badly');
    const err = await rejection(new RemoteModel(url).infer(x, { outputNames: ['output0'] }));
    expect(err.code).toBe('INTERNAL');
    expect(err.status).toBe(500);
    expect(err.message).toContain('the model fell over badly');
    // Still serving.
    const { outputs } = await new RemoteModel(url).infer(x, { outputNames: ['other'] });
    expect(Array.from(outputs[0]!.data as Float32Array)).toEqual([1]);
  });

  test('a backend throwing a non-Error value answers 500', async () => {
    const { url } = await start(
      throwing(() => {
        throw 'just a string'; // eslint-disable-line no-throw-literal
      }),
    );
    expect(await expectTextError(url, encodeInferRequest({ inputs: [x], outputNames: ['output0'] }), 500)).toBe(
      'internal error: just a string',
    );
  });

  test("a backend throwing GraphPipeError('INVALID_ARGUMENT') answers 400 with its message", async () => {
    const { url } = await start(
      throwing(() => {
        throw new GraphPipeError('INVALID_ARGUMENT', 'values must be positive');
      }),
    );
    expect(await expectTextError(url, encodeInferRequest({ inputs: [x], outputNames: ['output0'] }), 400)).toBe(
      'values must be positive',
    );
    const err = await rejection(new RemoteModel(url).infer(x, { outputNames: ['output0'] }));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.status).toBe(400);
  });

  test('a backend omitting a requested output answers 500 naming it', async () => {
    const backend = createFunctionBackend((inputs) => ({ first: inputs.input0! }), {
      outputs: [{ name: 'first' }, { name: 'second' }],
    });
    const { url } = await start(backend);
    const line = await expectTextError(url, encodeInferRequest({ inputs: [x], outputNames: ['first', 'second'] }), 500);
    expect(line).toContain('no output "second"');
    // Asking only for what it returns works.
    const { outputs } = await new RemoteModel(url).infer(x, { outputNames: ['first'] });
    expect(outputs).toHaveLength(1);
  });

  test('a function returning fewer tensors than requested outputs answers 500', async () => {
    const backend = createFunctionBackend((inputs) => [inputs.input0!], { outputs: [{ name: 'p' }, { name: 'q' }] });
    const { url } = await start(backend);
    expect(await expectTextError(url, encodeInferRequest({ inputs: [x] }), 500)).toContain('no output "q"');
  });
});
