/**
 * pnpm bench [--quick] [--tiers codec,large,small,grpc,model,runtimes,edge,warmup] [--batches 8,128] [--no-json] [--out <file>]: runs every tier, prints a markdown table and writes the
 * JSON results (bench/results/latest.json, or quick.json with --quick).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderMarkdown } from './report.js';
import { runBenchmarks, type Tier, TIERS } from './run.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    'no-progress': { type: 'boolean', default: false },
    tiers: { type: 'string' },
    batches: { type: 'string' },
    'no-json': { type: 'boolean', default: false },
  },
});

const tiers = values.tiers?.split(',').map((t) => t.trim());
const unknown = tiers?.filter((t) => !(TIERS as readonly string[]).includes(t));
if (unknown?.length) {
  console.error(`unknown tier(s) ${unknown.join(', ')}; expected some of ${TIERS.join(', ')}`);
  process.exit(2);
}
const batches = values.batches?.split(',').map(Number);
if (batches?.some((b) => !Number.isSafeInteger(b) || b < 1)) {
  console.error(`--batches takes row counts separated by commas (e.g. 8,128), not ${values.batches}`);
  process.exit(2);
}
const results = await runBenchmarks({
  quick: values.quick,
  progress: !values['no-progress'],
  tiers: tiers as Tier[] | undefined,
  largeBatches: batches,
  largeJson: !values['no-json'],
});
const out = resolve(
  values.out ?? fileURLToPath(new URL(`../results/${values.quick ? 'quick' : 'latest'}.json`, import.meta.url)),
);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(renderMarkdown(results));
console.error(`results written to ${out}`);
// Sockets kept alive by fetch's pool must not hold the process open.
process.exit(0);
