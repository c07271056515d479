/** The page travels with every server and opens on phones: it must stay small. */
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';

/** The limit the README promises (gzip, level 9). */
const MAX_GZIP_BYTES = 100 * 1024;
const built = new URL('../dist/index.js', import.meta.url);

test('the built page, script and styles inlined, stays under 100 KB gzipped and needs nothing else', async () => {
  if (!existsSync(built))
    throw new Error('packages/playground is not built; run `pnpm build` first (`pnpm test` does)');
  const { PLAYGROUND_HTML, PLAYGROUND_CSP } = (await import(built.href)) as typeof import('../dist/index.js');
  const gzipped = gzipSync(PLAYGROUND_HTML, { level: 9 }).length;
  console.log(`playground page: ${PLAYGROUND_HTML.length} bytes, ${gzipped} gzipped`);
  expect(gzipped).toBeLessThan(MAX_GZIP_BYTES);
  // No CDN, no runtime download: nothing is loaded from elsewhere, and the CSP would refuse it.
  expect(PLAYGROUND_HTML).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!127\.0\.0\.1)/);
  expect(PLAYGROUND_CSP).toMatch(/^default-src 'none'; script-src 'sha256-/);
});
