/**
 * API reference for the published packages (`pnpm docs:api` writes docs/api): TypeDoc's packages
 * mode takes each package's entry points from the exports its package.json declares, and reads the
 * TypeScript sources they are built from.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { publishedPackages, repoRoot } from './scripts/published-packages.mjs';

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'GraphPipe-TS',
  entryPointStrategy: 'packages',
  // The playground has no TypeScript API to show: its build script bundles the page and writes dist/.
  entryPoints: publishedPackages()
    .filter(({ dir }) => existsSync(join(dir, 'tsconfig.build.json')))
    .map(({ dir }) => relative(repoRoot, dir)),
  // Each package with its own compiler settings (some build for the DOM, others for Node).
  packageOptions: { tsconfig: 'tsconfig.build.json', readme: 'none' },
  out: 'docs/api',
  excludePrivate: true,
  excludeInternal: true,
  readme: 'none',
};
