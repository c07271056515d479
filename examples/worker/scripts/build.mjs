// Bundles the Worker into dist/: worker.js, with the .wasm and .onnx files it imports kept as
// separate modules of the Worker (as wrangler.toml's rules and miniflare's modulesRules declare them).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

/** `import x from '….wasm'` / `'….onnx'` stays an import of a file copied beside worker.js. */
const workerModules = {
  name: 'worker-modules',
  setup(b) {
    b.onResolve({ filter: /\.(wasm|onnx)$/ }, async (args) => {
      if (args.pluginData === 'resolving') return undefined; // esbuild's own resolution, asked for below
      const { kind, resolveDir } = args;
      const resolved = await b.resolve(args.path, { kind, resolveDir, pluginData: 'resolving' });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      copyFileSync(resolved.path, join(dist, basename(resolved.path)));
      return { path: `./${basename(resolved.path)}`, external: true };
    });
  },
};

await build({
  entryPoints: [join(root, 'src/worker.ts')],
  outfile: join(dist, 'worker.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  conditions: ['workerd', 'worker', 'browser'],
  target: 'es2022',
  minify: true,
  plugins: [workerModules],
  logLevel: 'warning',
});
