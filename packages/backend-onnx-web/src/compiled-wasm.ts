/**
 * Cloudflare Workers (and other hosts that forbid code generation) do not compile WebAssembly from
 * bytes: a Worker imports its .wasm as a module, compiled ahead by the host. onnxruntime-web 1.30
 * takes its WebAssembly only as bytes or a URL, so while it starts, its one call to
 * `WebAssembly.instantiate(bytes)` is answered with an instance of the module given instead.
 */
import { env } from 'onnxruntime-web/wasm';

type Instantiate = (source: unknown, imports?: unknown) => Promise<unknown>;

/** Stands in for the bytes onnxruntime-web would otherwise fetch; never compiled. */
const NO_BYTES = new Uint8Array(0);

export async function startingWith<T>(module: WebAssembly.Module, start: () => Promise<T>): Promise<T> {
  env.wasm.wasmBinary = NO_BYTES;
  const wasm = WebAssembly as unknown as { instantiate: Instantiate };
  const original = wasm.instantiate;
  wasm.instantiate = async (source, imports) => {
    if (source instanceof WebAssembly.Module) return original.call(WebAssembly, source, imports);
    const instance = await original.call(WebAssembly, module, imports);
    return { instance, module };
  };
  try {
    return await start();
  } finally {
    wasm.instantiate = original;
  }
}
