import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs a file-making script (TypeScript, through tsx) with a fresh temporary directory as its one
 * argument, and compares every file it wrote there with the file at the same relative path under
 * `committed`. Returns each written file's relative path, sorted, with whether its bytes are the same.
 */
export async function rebuildAndCompare(script: string, committed: string): Promise<Map<string, boolean>> {
  const out = await mkdtemp(join(tmpdir(), 'gp-rebuild-'));
  try {
    // From the repository root, where tsx is installed.
    await promisify(execFile)(process.execPath, ['--import', 'tsx', script, out], { cwd: REPO_ROOT });
    const written = (await readdir(out, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name).slice(out.length + 1))
      .sort();
    const same = new Map<string, boolean>();
    for (const file of written) {
      const committedBytes = await readFile(join(committed, file)).catch(() => undefined);
      same.set(file, committedBytes?.equals(await readFile(join(out, file))) ?? false);
    }
    return same;
  } finally {
    await rm(out, { recursive: true });
  }
}
