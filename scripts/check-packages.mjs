#!/usr/bin/env node
/**
 * Lints the published packages as the registry would receive them: each is packed once with
 * `pnpm pack` (its `files`, workspace ranges rewritten), and the tarball goes through publint
 * (package.json against the packed files) and Are the Types Wrong (what each export resolves to,
 * types and JavaScript, under Node and bundlers). One process, so TypeScript loads once.
 *
 * The packages are ESM only: Are the Types Wrong's "esm-only" profile leaves out node10 and
 * `require` from CommonJS, which Node >= 20.19 (the packages' engines) serves with require(esm).
 * Needs the packages built; `pnpm lint` builds them first.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { problemKindInfo } from '@arethetypeswrong/core/problems';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { publishedPackages, repoRoot } from './published-packages.mjs';

const pnpm = join(repoRoot, 'node_modules/.bin/pnpm');
/** Resolutions an ESM-only package for Node >= 20.19 need not serve (as attw's --profile esm-only). */
const IGNORED_RESOLUTIONS = ['node10', 'node16-cjs'];

async function pack(dir, destination) {
  const { stdout } = await promisify(execFile)(pnpm, ['pack', '--json', '--pack-destination', destination], {
    cwd: dir,
  });
  return JSON.parse(stdout).filename;
}

/** publint's errors and warnings (and, with strict, suggestions made warnings) as one line each. */
async function publintProblems(tarball) {
  const { messages, pkg } = await publint({ pack: { tarball: tarball.buffer }, strict: true });
  return messages
    .filter((message) => message.type !== 'suggestion')
    .map((message) => `publint: ${formatMessage(message, pkg, { color: false })}`);
}

/** Are the Types Wrong's problems on the resolutions an ESM-only package serves, one line each. */
async function typeProblems(tarball) {
  const analysis = await checkPackage(createPackageFromTarballData(tarball));
  if (!analysis.types) return ['attw: the package ships no type declarations'];
  return analysis.problems
    .filter((problem) => !('resolutionKind' in problem && IGNORED_RESOLUTIONS.includes(problem.resolutionKind)))
    .map((problem) => {
      const where = 'entrypoint' in problem ? ` (${problem.entrypoint}, ${problem.resolutionKind})` : '';
      const info = problemKindInfo[problem.kind];
      return `attw: ${info.title}${where}: ${info.description} ${info.docsUrl}`;
    });
}

async function main() {
  const packages = publishedPackages();
  const dirs = packages.map(({ dir }) => dir);
  const unbuilt = dirs.filter((dir) => !existsSync(join(dir, 'dist')));
  if (unbuilt.length > 0) {
    console.error(`not built: ${unbuilt.join(', ')}; run \`pnpm build\` first (\`pnpm lint\` does)`);
    process.exit(1);
  }
  const destination = mkdtempSync(join(tmpdir(), 'graphpipe-check-packages-'));
  let failed = 0;
  try {
    // Packing runs pnpm once a package; two at a time keeps a 2-core machine busy without thrashing.
    const queue = [...dirs];
    const packed = new Map();
    await Promise.all(
      [0, 1].map(async () => {
        for (let dir = queue.shift(); dir; dir = queue.shift()) packed.set(dir, await pack(dir, destination));
      }),
    );
    for (const { dir, manifest } of packages) {
      const tarball = new Uint8Array(readFileSync(packed.get(dir)));
      const problems = [...(await publintProblems(tarball)), ...(await typeProblems(tarball))];
      if (problems.length === 0) {
        console.log(`ok ${manifest.name}`);
      } else {
        failed++;
        console.error(`FAIL ${manifest.name}\n${problems.map((line) => `  ${line}`).join('\n')}`);
      }
    }
  } finally {
    rmSync(destination, { recursive: true, force: true });
  }
  if (failed > 0) {
    console.error(`${failed} of ${dirs.length} packages are not ready to publish`);
    process.exit(1);
  }
}

await main();
