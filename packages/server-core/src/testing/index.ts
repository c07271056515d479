/**
 * A contract suite every Backend must pass, run through a real app (no socket needed).
 * Framework-agnostic: each case is a named async function that throws on failure, so a
 * backend package runs it with whatever test runner it uses:
 *
 *     for (const c of backendConformanceCases(() => createOnnxBackend(path))) test(c.name, c.run);
 *
 * A case that cannot check anything never passes: it reports itself skipped through the runner's
 * test context (vitest's and node:test's both have `skip(reason)`), or fails without one.
 */
import {
  type DType,
  decodeInferResponse,
  decodeMetadataResponse,
  elementCount,
  encodeInferRequest,
  encodeMetadataRequest,
  type Tensor,
  tensor,
  typedArrayFor,
} from '@graphpipe/protocol';
import type { Backend, TensorSpec } from '../backend.js';

export { poisonReleasedBodies } from '../http/body-pool.js';

import { checkTensor } from '../models/resolve.js';
import { createGraphPipeApp } from '../runtimes/app.js';

export interface ConformanceOptions {
  /** Inputs to run the model on; by default each input is filled from its metadata (batch 2). */
  sampleInputs?: () => Record<string, Tensor>;
  /** Cases to skip, by name, each with the reason (reported with the skip). */
  skip?: Record<string, string>;
}

/** What `run` needs from the test runner: a way to report the case as skipped, with the reason. */
export interface ConformanceContext {
  skip(reason: string): void;
}

export interface ConformanceCase {
  readonly name: string;
  /** Why the case is skipped, when `options.skip` names it; a runner without context skips can `test.skip` it. */
  readonly skip?: string;
  /**
   * Throws on failure. When the case cannot check anything (skipped by `options.skip`, or nothing in
   * the model to check), calls `context.skip(reason)`; without a context it throws rather than pass.
   */
  readonly run: (context?: ConformanceContext) => Promise<void>;
}

/** A check; it calls `nothingToCheck(reason)` and returns when the model gives it nothing to check. */
type Check = (backend: Backend, nothingToCheck: (reason: string) => void) => Promise<void>;

export function backendConformanceCases(
  makeBackend: () => Backend | Promise<Backend>,
  options: ConformanceOptions = {},
): ConformanceCase[] {
  const cases: Record<string, Check> = {
    'declares unique inputs and outputs with valid shapes': async (backend) => {
      const { inputs, outputs } = backend.metadata;
      for (const list of [inputs, outputs]) {
        const names = list.map((io) => io.name);
        assert(new Set(names).size === names.length, `duplicate names in [${names.join(', ')}]`);
        for (const io of list)
          assert(!io.shape || io.shape.every((d) => Number.isInteger(d) && d >= -1), `bad shape for ${io.name}`);
      }
      assert(outputs.length > 0, 'a model must declare at least one output');
    },
    'answers a metadata request with its declaration': async (backend) => {
      const meta = decodeMetadataResponse(await post(backend, encodeMetadataRequest(), 200));
      assert(meta.name === backend.metadata.name, `name ${meta.name} != ${backend.metadata.name}`);
      assert(
        meta.inputs.map((i) => i.name).join() === backend.metadata.inputs.map((i) => i.name).join(),
        'input names differ',
      );
      assert(
        meta.outputs.map((i) => i.name).join() === backend.metadata.outputs.map((i) => i.name).join(),
        'output names differ',
      );
    },
    'returns every default output with its declared dtype and shape': async (backend) => {
      const inputs = options.sampleInputs?.() ?? sampleInputs(backend.metadata.inputs);
      const outputs = await infer(backend, inputs, []);
      const expected = backend.defaultOutputs ?? backend.metadata.outputs.map((o) => o.name);
      assert(outputs.length === expected.length, `expected ${expected.length} outputs, got ${outputs.length}`);
      outputs.forEach((t, i) =>
        checkTensor(`output "${expected[i]}"`, t, spec(backend.metadata.outputs, expected[i]!)),
      );
    },
    'returns exactly the outputs asked for, in order': async (backend) => {
      const inputs = options.sampleInputs?.() ?? sampleInputs(backend.metadata.inputs);
      const names = backend.metadata.outputs.map((o) => o.name).reverse();
      const outputs = await infer(backend, inputs, names);
      assert(outputs.length === names.length, `asked for ${names.length} outputs, got ${outputs.length}`);
      outputs.forEach((t, i) => checkTensor(`output "${names[i]}"`, t, spec(backend.metadata.outputs, names[i]!)));
      const single = await infer(backend, inputs, [names[0]!]);
      assert(single.length === 1, `asked for one output, got ${single.length}`);
    },
    'is deterministic for the same input': async (backend) => {
      const inputs = options.sampleInputs?.() ?? sampleInputs(backend.metadata.inputs);
      const [a, b] = [await infer(backend, inputs, []), await infer(backend, inputs, [])];
      a.forEach((t, i) => assert(sameData(t, b[i]!), `output ${i} differs between two identical requests`));
    },
    'rejects a wrong dtype with 400 before running': async (backend, nothingToCheck) => {
      const first = backend.metadata.inputs.find((io) => io.dtype !== undefined);
      if (!first) return nothingToCheck('no input declares a dtype, so the model takes any and none is wrong');
      const inputs = options.sampleInputs?.() ?? sampleInputs(backend.metadata.inputs);
      const wrong: DType = first.dtype === 'float64' ? 'int8' : 'float64';
      inputs[first.name] = fill(wrong, inputs[first.name]!.shape);
      const body = encodeInferRequest({ inputs: Object.values(inputs), inputNames: Object.keys(inputs) });
      const text = new TextDecoder().decode(await post(backend, body, 400));
      assert(text.includes(first.name), `the 400 message should name input "${first.name}": ${text}`);
    },
    'rejects an unknown output name with 400': async (backend) => {
      const inputs = options.sampleInputs?.() ?? sampleInputs(backend.metadata.inputs);
      const body = encodeInferRequest({
        inputs: Object.values(inputs),
        inputNames: Object.keys(inputs),
        outputNames: ['no-such-output'],
      });
      const text = new TextDecoder().decode(await post(backend, body, 400));
      assert(text.includes('no-such-output'), `the 400 message should name the output: ${text}`);
    },
  };

  return Object.entries(cases).map(([name, check]) => {
    const reason = options.skip?.[name];
    return {
      name,
      skip: reason,
      run: async (context) => {
        if (reason !== undefined) return skipped(name, reason, context);
        const backend = await makeBackend();
        let nothing: string | undefined;
        try {
          await check(backend, (why) => {
            nothing = why;
          });
        } finally {
          await backend.close?.();
        }
        if (nothing !== undefined) skipped(name, nothing, context);
      },
    };
  });
}

/** Reports a case that checked nothing as skipped; where the runner gave no way to, fails it instead. */
function skipped(name: string, reason: string, context: ConformanceContext | undefined): void {
  if (typeof context?.skip !== 'function') {
    throw new Error(
      `backend conformance: "${name}" checked nothing (${reason}); run it as test(c.name, c.run), ` +
        "so it gets the runner's test context and is reported as skipped",
    );
  }
  context.skip(reason);
}

/** Inputs built from metadata: -1 dims become 2, numbers count up from 0 (strings: "0", "1", ...). */
export function sampleInputs(specs: readonly TensorSpec[]): Record<string, Tensor> {
  // fromEntries defines keys, so an input called "__proto__" is kept.
  return Object.fromEntries(specs.map((io) => [io.name, sampleInput(io)]));
}

function sampleInput(io: TensorSpec): Tensor {
  if (!io.shape || !io.dtype) throw new Error(`input "${io.name}" declares no fixed dtype/shape; pass sampleInputs`);
  return fill(
    io.dtype,
    io.shape.map((d) => (d < 0 ? 2 : d)),
  );
}

function fill(dtype: DType, shape: readonly number[]): Tensor {
  const n = elementCount(shape);
  if (dtype === 'string')
    return tensor(
      Array.from({ length: n }, (_, i) => String(i)),
      shape,
      'string',
    );
  const data = new (typedArrayFor(dtype))(n);
  const wide = data instanceof BigInt64Array || data instanceof BigUint64Array;
  for (let i = 0; i < n; i++)
    (data as unknown as unknown[])[i] = wide ? BigInt(i % 100) : dtype === 'float16' ? 0x3c00 : i % 100;
  return tensor(data, shape, dtype);
}

async function post(backend: Backend, body: Uint8Array<ArrayBuffer>, expectStatus: number): Promise<Uint8Array> {
  const app = createGraphPipeApp(backend, { logger: false });
  const res = await app.request('/', { method: 'POST', body });
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert(
    res.status === expectStatus,
    `expected HTTP ${expectStatus}, got ${res.status}: ${new TextDecoder().decode(bytes.subarray(0, 300))}`,
  );
  return bytes;
}

async function infer(
  backend: Backend,
  inputs: Record<string, Tensor>,
  outputNames: string[],
): Promise<readonly Tensor[]> {
  const body = encodeInferRequest({ inputs: Object.values(inputs), inputNames: Object.keys(inputs), outputNames });
  return decodeInferResponse(await post(backend, body, 200)).outputs;
}

function spec(list: readonly TensorSpec[], name: string): TensorSpec {
  const found = list.find((io) => io.name === name);
  assert(found !== undefined, `no declared output "${name}"`);
  return found!;
}

function sameData(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join() || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) {
    const [x, y] = [a.data[i], b.data[i]];
    if (x instanceof Uint8Array && y instanceof Uint8Array ? x.join() !== y.join() : !Object.is(x, y)) return false;
  }
  return true;
}

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`backend conformance: ${message}`);
}
