// Serves dist/ under workerd, the runtime of Cloudflare Workers, through miniflare:
// `node scripts/serve.mjs [--port N]` (build first: `node scripts/build.mjs`).
import { readdirSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Miniflare } from 'miniflare';

const { values } = parseArgs({ options: { port: { type: 'string', short: 'p', default: '8787' } } });
const dist = join(dirname(fileURLToPath(import.meta.url)), '../dist');
// The Worker's modules, typed by extension as wrangler.toml's rules say. Listed, not discovered:
// onnxruntime-web's bundle holds a dynamic import (of a file it never needs here) miniflare cannot follow.
const TYPES = { '.js': 'ESModule', '.wasm': 'CompiledWasm', '.onnx': 'Data' };
const files = readdirSync(dist).sort((a, b) => Number(b === 'worker.js') - Number(a === 'worker.js'));
const mf = new Miniflare({
  modulesRoot: dist,
  modules: files.map((file) => ({ type: TYPES[extname(file)], path: join(dist, file) })),
  compatibilityDate: '2025-09-01',
  host: '127.0.0.1',
  port: Number(values.port),
});
const url = (await mf.ready).origin;
// The first request loads the model: answer it before saying the server is up.
const metadata = await (await fetch(url)).json();
console.log(`serving ${metadata.Name} on ${url}`);
// On SIGTERM or Ctrl-C, miniflare stops workerd and exits (128 + the signal's number).
