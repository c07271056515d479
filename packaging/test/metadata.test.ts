/**
 * What the registry shows of each published package besides its code: where it comes from, its
 * license (the file itself, which npm takes from the package's own directory only), and what finds it.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { publishedPackages, repoRoot } from '../../scripts/published-packages.mjs';

const REPOSITORY = 'git+https://github.com/graphpipe-ts/graphpipe-ts.git';
const rootLicense = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');

test('the published packages are the ones under packages/ that are not private', () => {
  expect(publishedPackages().map(({ manifest }) => manifest.name)).toEqual([
    '@graphpipe/backend-onnx',
    '@graphpipe/backend-onnx-web',
    '@graphpipe/backend-tf',
    '@graphpipe/cli',
    '@graphpipe/client',
    '@graphpipe/compose',
    '@graphpipe/onnx-common',
    '@graphpipe/playground',
    '@graphpipe/protocol',
    '@graphpipe/server-core',
  ]);
});

test('the root LICENSE is the Universal Permissive License', () => {
  expect(rootLicense).toContain('The Universal Permissive License (UPL), Version 1.0');
  expect(rootLicense).toMatch(/^Copyright \(c\) \d{4} the GraphPipe-TS authors\n/);
});

describe.each(publishedPackages())('$manifest.name', ({ dir, manifest }) => {
  test('ships a copy of the root LICENSE, as its package.json says', () => {
    expect(manifest.license).toBe('UPL-1.0');
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(rootLicense);
  });

  test('says where it comes from, where its docs are and where to report a bug', () => {
    const directory = relative(repoRoot, dir).split('\\').join('/');
    expect(manifest.repository).toEqual({ type: 'git', url: REPOSITORY, directory });
    expect(manifest.homepage).toBe(`https://github.com/graphpipe-ts/graphpipe-ts/tree/main/${directory}#readme`);
    expect(manifest.bugs).toEqual({ url: 'https://github.com/graphpipe-ts/graphpipe-ts/issues' });
  });

  // A 0.x minor release of protocol or server-core must not make every package that names it as a
  // peer a major release (1.0.0): peers span 0.x, and changesets bumps dependents only out of range.
  test("names this repository's packages as peers across 0.x", () => {
    const peers = Object.entries((manifest.peerDependencies ?? {}) as Record<string, string>);
    for (const [name, range] of peers.filter(([name]) => name.startsWith('@graphpipe/'))) {
      expect([name, range]).toEqual([name, 'workspace:>=0.1.0 <1']);
    }
  });

  test('has keywords, graphpipe first', () => {
    expect(manifest.keywords[0]).toBe('graphpipe');
    expect(new Set(manifest.keywords).size).toBe(manifest.keywords.length);
  });
});

test('changesets bumps a peer dependent only when the peer leaves its range', () => {
  const config = JSON.parse(readFileSync(join(repoRoot, '.changeset/config.json'), 'utf8'));
  expect(config.___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH).toEqual({
    onlyUpdatePeerDependentsWhenOutOfRange: true,
  });
});
