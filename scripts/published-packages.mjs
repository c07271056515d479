/** The workspace's published packages: those under packages/ that are not private (what `changeset publish` publishes). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** Each published package's directory and package.json, in directory order. */
export function publishedPackages() {
  return readdirSync(join(repoRoot, 'packages'))
    .map((name) => join(repoRoot, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
    .filter(({ manifest }) => !manifest.private);
}
