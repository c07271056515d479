// How a Worker sees the modules its bundle declares (wrangler.toml's rules, miniflare's modulesRules).
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '*.onnx' {
  const bytes: ArrayBuffer;
  export default bytes;
}
