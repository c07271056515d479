import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { serveEcho } from './echo-server.js';
import { runFuzz } from './fuzz.js';
import { mib, peakRss } from './peak-rss.js';

const opts = new Command('fuzz')
  .description('Long fuzz run against an in-process echo server on loopback')
  .option('--cases <n>', 'mutated requests to send', '100000')
  .option('--seed <n>', 'seed for reproducible cases', '20181')
  .option('--concurrency <n>', 'requests in flight', '8')
  .option('--protocol <name>', 'graphpipe, or v2 (Open Inference Protocol requests)', 'graphpipe')
  .parse()
  .opts<{ cases: string; seed: string; concurrency: string; protocol: string }>();

if (opts.protocol !== 'graphpipe' && opts.protocol !== 'v2') {
  console.error(`--protocol must be graphpipe or v2, got ${opts.protocol}`);
  process.exit(2);
}

const cases = Number(opts.cases);
const server = await serveEcho();
const bar = new SingleBar({ format: 'fuzz [{bar}] {value}/{total} {duration}s' }, Presets.shades_classic);
bar.start(cases, 0);
const rssStart = process.memoryUsage().rss;
const report = await runFuzz({
  url: server.url,
  cases,
  seed: Number(opts.seed),
  concurrency: Number(opts.concurrency),
  protocol: opts.protocol,
  onProgress: (n) => n % 100 === 0 && bar.update(n),
});
bar.update(cases);
bar.stop();
await server.close();

console.log(`cases: ${report.cases} (${opts.protocol}, seed ${report.seed})`);
console.log(`answers by status: ${JSON.stringify(report.byStatus)}`);
console.log(`failures (5xx, multi-line errors, dropped connections): ${report.failures.length}`);
for (const f of report.failures.slice(0, 20)) console.log(`  case ${f.index} [${f.how}] -> ${f.status}: ${f.body}`);
console.log(
  `rss at start ${mib(rssStart)}, at end ${mib(process.memoryUsage().rss)}, peak ${mib(peakRss())} (server and fuzzer share this process)`,
);
process.exitCode = report.failures.length ? 1 : 0;
