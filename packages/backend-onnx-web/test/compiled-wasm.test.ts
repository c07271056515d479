/**
 * Where compiling WebAssembly from bytes is forbidden (Cloudflare Workers), the host hands over a
 * compiled module. Its own file: the runtime starts once per realm, and here it must start from
 * the module, in a realm that refuses to compile bytes as a Worker does.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tensor } from '@graphpipe/protocol';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createOnnxWebBackend } from '../src/index.js';
import { infer, modelBytes } from './helpers.js';

const wasm = WebAssembly as unknown as Record<
  'instantiate' | 'compile',
  (source: unknown, imports?: unknown) => unknown
>;
const { instantiate, compile } = wasm;
let wasmModule: WebAssembly.Module;
const refused: string[] = [];

beforeAll(async () => {
  const path = createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm');
  wasmModule = await WebAssembly.compile(readFileSync(path));
  // workerd's rule: a compiled module may be instantiated, bytes may not be compiled.
  const refuse = (what: string) => {
    refused.push(what);
    return Promise.reject(new WebAssembly.CompileError(`${what}(): Wasm code generation disallowed by embedder`));
  };
  wasm.instantiate = (source, imports) =>
    source instanceof WebAssembly.Module ? instantiate.call(WebAssembly, source, imports) : refuse('instantiate');
  wasm.compile = () => refuse('compile');
});

afterAll(() => {
  Object.assign(wasm, { instantiate, compile });
});

test('onnxruntime-web starts from a compiled module where bytes may not be compiled', async () => {
  const backend = await createOnnxWebBackend(modelBytes('iris-classifier'), { wasmModule });
  const { label } = await infer(backend, { features: tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]) });
  await backend.close();
  expect(Array.from(label!.data as BigInt64Array)).toEqual([0n]);
  expect(refused).toEqual([]);
});
