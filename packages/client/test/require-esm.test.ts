import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const here = fileURLToPath(new URL('..', import.meta.url));

// A claim about Node (and Bun, which runs it too); Deno's -e has no CommonJS require().
const deno = 'Deno' in globalThis;

test.skipIf(deno)("CommonJS on Node ≥ 20.19 can require() the built package, and gets import's exports", async () => {
  const script = `
    const cjs = require('@graphpipe/client');
    import('@graphpipe/client').then((esm) => {
      const same = Object.keys(esm).every((k) => cjs[k] === esm[k]);
      console.log(JSON.stringify({ remoteModel: typeof cjs.RemoteModel, same }));
    });`;
  // Its own directory: the package refers to itself by name, through its exports.
  const out = execFileSync(process.execPath, ['-e', script], { cwd: here, encoding: 'utf8' });
  expect(JSON.parse(out)).toEqual({ remoteModel: 'function', same: true });
});
