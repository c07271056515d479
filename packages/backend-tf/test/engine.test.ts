import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { NATIVE_HINT, selectEngine, type Importer } from '../src/engine.js';

const notFound = (specifier: string) =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from test`), { code: 'ERR_MODULE_NOT_FOUND' });

/** The real importer, with some packages replaced. */
const importer =
  (overrides: Record<string, () => unknown>): Importer =>
  async (specifier) =>
    specifier in overrides ? overrides[specifier]!() : import(specifier);

describe('selectEngine', () => {
  it('chooses wasm here, where native TensorFlow is not installed, and says how to get it', async () => {
    const engine = await selectEngine();
    expect(engine.kind).toBe('wasm');
    expect(engine.tf.getBackend()).toBe('wasm');
    expect(engine.native).toBeUndefined();
    expect(engine.description).toBe(`tfjs wasm backend (native TensorFlow not installed: ${NATIVE_HINT})`);
  });

  it('falls back to cpu when the wasm package cannot be loaded', async () => {
    const engine = await selectEngine(
      'auto',
      importer({
        '@tensorflow/tfjs-backend-wasm': () => {
          throw notFound('@tensorflow/tfjs-backend-wasm');
        },
      }),
    );
    expect(engine.kind).toBe('cpu');
    expect(engine.tf.getBackend()).toBe('cpu');
    expect(engine.description).toMatch(
      /^tfjs cpu backend.*wasm failed to initialise: Cannot find package '@tensorflow\/tfjs-backend-wasm'/,
    );
  });

  it('falls back to cpu when the wasm backend fails to initialise', async () => {
    const refusesWasm = {
      ...tf,
      default: undefined,
      setBackend: async (name: string) => name !== 'wasm' && tf.setBackend(name),
    };
    const engine = await selectEngine('auto', importer({ '@tensorflow/tfjs': () => refusesWasm }));
    expect(engine.kind).toBe('cpu');
    expect(engine.description).toContain('wasm failed to initialise: tf.setBackend("wasm") returned false');
  });

  it('names a native package that is installed but fails to load, then uses wasm', async () => {
    const engine = await selectEngine(
      'auto',
      importer({
        '@tensorflow/tfjs-node-gpu': () => {
          throw notFound('@tensorflow/tfjs-node-gpu');
        },
        '@tensorflow/tfjs-node': () => {
          throw new Error('libtensorflow.so.2: cannot open shared object file');
        },
      }),
    );
    expect(engine.kind).toBe('wasm');
    expect(engine.description).toContain('@tensorflow/tfjs-node failed to load: libtensorflow.so.2');
  });

  it('uses native TensorFlow when it loads, GPU build first', async () => {
    const node = {
      loadSavedModel: async () => {
        throw new Error('unused');
      },
      getMetaGraphsFromSavedModel: async () => [],
    };
    const fakeNative = { setBackend: async (name: string) => name === 'tensorflow', node };
    const engine = await selectEngine(
      'auto',
      importer({
        '@tensorflow/tfjs-node-gpu': () => {
          throw notFound('@tensorflow/tfjs-node-gpu');
        },
        '@tensorflow/tfjs-node': () => ({ default: fakeNative }),
      }),
    );
    expect(engine.kind).toBe('native');
    expect(engine.native).toBe(node);
    expect(engine.description).toBe('native TensorFlow (@tensorflow/tfjs-node)');
  });

  it('honours a forced engine, and fails loudly when the forced one is missing', async () => {
    expect((await selectEngine('cpu')).kind).toBe('cpu');
    expect((await selectEngine('wasm')).kind).toBe('wasm');
    await expect(selectEngine('native')).rejects.toThrow(
      `engine 'native' requested but native TensorFlow not installed; ${NATIVE_HINT}`,
    );
  });
});
