import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import SummaryReporter from './scripts/summary-reporter.js';

const src = (pkg: string, file = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

// Tests run against the TypeScript sources of sibling packages, so no build is needed between edit and test.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@graphpipe\/server-core\/node$/, replacement: src('server-core', 'runtimes/node/index.ts') },
      { find: /^@graphpipe\/server-core\/testing$/, replacement: src('server-core', 'testing/index.ts') },
      { find: /^@graphpipe\/client\/node$/, replacement: src('client', 'node/index.ts') },
      { find: /^@graphpipe\/protocol\/v2$/, replacement: src('protocol', 'v2/index.ts') },
      {
        find: /^@graphpipe\/(protocol|client|server-core|onnx-common|backend-onnx|backend-onnx-web|backend-tf|cli|compose|test-utils)$/,
        replacement: src('$1'),
      },
    ],
  },
  test: {
    include: ['{packages,examples}/*/test/**/*.test.ts', '{bench,stress,packaging,browser,deploy}/test/**/*.test.ts'],
    reporters: ['default', new SummaryReporter()],
    // Request bodies' memory is overwritten once their answer is out, so a tensor used too late fails its test.
    env: { GRAPHPIPE_POISON_RELEASED: '1' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
