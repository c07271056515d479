import { messageOf } from '@graphpipe/protocol';
/**
 * Picks the TensorFlow.js engine: native TensorFlow (tfjs-node-gpu, then tfjs-node) when installed,
 * else the wasm backend that ships inside @tensorflow/tfjs-backend-wasm, else the pure-JS cpu backend.
 * The tfjs backend is process-wide: each call switches it for every model in the process, which is
 * why createTfBackend selects through process-engine.ts, where the first choice holds.
 */
import { dirname } from 'node:path';
import { createRequire } from 'node:module';
import { isMissingPackage } from '@graphpipe/server-core/node';
import type * as tfjs from '@tensorflow/tfjs';
import type { NativeApi } from './native-api.js';

export type EngineChoice = 'auto' | 'native' | 'wasm' | 'cpu';
export type EngineKind = 'native-gpu' | 'native' | 'wasm' | 'cpu';

export type Tf = typeof tfjs;

export interface Engine {
  readonly kind: EngineKind;
  readonly tf: Tf;
  /** Present only on the native engines: SavedModel support. */
  readonly native?: NativeApi;
  /** One line for the server's startup log: what runs, and what would be faster. */
  readonly description: string;
}

/** Loads a module by name; injectable so tests can play "not installed" or "broken". */
export type Importer = (specifier: string) => Promise<unknown>;

const require = createRequire(import.meta.url);

const defaultImporter: Importer = async (specifier) => {
  // Resolving first gives Node's MODULE_NOT_FOUND for an absent package under any loader (test runners rewrite import()).
  require.resolve(specifier);
  return import(specifier);
};

const NATIVE_PACKAGES = [
  { kind: 'native-gpu', pkg: '@tensorflow/tfjs-node-gpu', label: 'native TensorFlow with CUDA' },
  { kind: 'native', pkg: '@tensorflow/tfjs-node', label: 'native TensorFlow' },
] as const;

export const NATIVE_HINT = 'npm i @tensorflow/tfjs-node, or @tensorflow/tfjs-node-gpu for CUDA';

export async function selectEngine(
  choice: EngineChoice = 'auto',
  importer: Importer = defaultImporter,
): Promise<Engine> {
  if (choice === 'cpu') return useCpu(await loadTf(importer), 'engine option "cpu"');
  let nativeWhy = 'engine option "wasm"';
  if (choice === 'auto' || choice === 'native') {
    const attempt = await tryNative(importer);
    if ('engine' in attempt) return attempt.engine;
    if (choice === 'native') throw new Error(`engine 'native' requested but ${attempt.why}; ${NATIVE_HINT}`);
    nativeWhy = attempt.why;
  }
  const tf = await loadTf(importer);
  const wasm = await tryWasm(tf, importer);
  if (wasm === true) return { kind: 'wasm', tf, description: `tfjs wasm backend (${nativeWhy}: ${NATIVE_HINT})` };
  if (choice === 'wasm') throw new Error(`engine 'wasm' requested but it failed to initialise: ${wasm}`);
  return useCpu(tf, `wasm failed to initialise: ${wasm}; ${nativeWhy}`);
}

async function tryNative(importer: Importer): Promise<{ engine: Engine } | { why: string }> {
  const reasons: string[] = [];
  for (const { kind, pkg, label } of NATIVE_PACKAGES) {
    try {
      const tf = moduleValue(await importer(pkg)) as Tf & { node: NativeApi };
      if (!(await tf.setBackend('tensorflow'))) throw new Error('its "tensorflow" backend failed to initialise');
      return { engine: { kind, tf, native: tf.node, description: `${label} (${pkg})` } };
    } catch (err) {
      // A missing package is the normal case; a package that is present but fails to load is worth naming.
      if (!isMissingPackage(err, pkg)) reasons.push(`${pkg} failed to load: ${messageOf(err)}`);
    }
  }
  return { why: reasons.length > 0 ? reasons.join('; ') : 'native TensorFlow not installed' };
}

/** True when wasm became the backend, else why not. */
async function tryWasm(tf: Tf, importer: Importer): Promise<true | string> {
  try {
    const wasm = moduleValue(await importer('@tensorflow/tfjs-backend-wasm')) as { setWasmPaths(prefix: string): void };
    // The .wasm files sit next to the package's main file; say so explicitly in case a bundler moved the JS.
    const main = require.resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${dirname(main)}/`);
    return (await tf.setBackend('wasm')) ? true : 'tf.setBackend("wasm") returned false';
  } catch (err) {
    return messageOf(err);
  }
}

async function useCpu(tf: Tf, why: string): Promise<Engine> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend failed to initialise');
  return {
    kind: 'cpu',
    tf,
    description: `tfjs cpu backend, pure JavaScript and slow (${why}; for native TensorFlow: ${NATIVE_HINT})`,
  };
}

async function loadTf(importer: Importer): Promise<Tf> {
  return moduleValue(await importer('@tensorflow/tfjs')) as Tf;
}

/** These packages are CommonJS: `default` holds module.exports when Node could not list the named exports. */
function moduleValue(mod: unknown): unknown {
  const value = (mod as { default?: unknown }).default;
  return value !== undefined && typeof value === 'object' ? value : mod;
}
