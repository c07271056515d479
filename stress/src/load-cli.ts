import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { encodeInferRequest, tensor } from '@graphpipe/protocol';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { mib, peakRss } from './peak-rss.js';

const opts = new Command('load')
  .description(
    'A bounded burst of large requests beyond the server limits, on loopback; reports answers and peak server RSS',
  )
  .option('--requests <n>', 'requests in the burst', '200')
  .option('--parallel <n>', 'requests in flight at once', '32')
  .option('--mb <n>', 'size of each request in MiB', '16')
  .option('--concurrency <n>', 'server: inferences at once', '2')
  .option('--max-queue <n>', 'server: requests that may wait', '4')
  .option('--delay <ms>', 'server: time each inference takes', '50')
  .option('--max-body-mb <n>', 'server: largest body accepted', '64')
  .parse()
  .opts<Record<string, string>>();

const num = (k: string) => Number(opts[k]);
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    fileURLToPath(new URL('./load-server.ts', import.meta.url)),
    opts.concurrency!,
    opts.maxQueue!,
    opts.delay!,
    opts.maxBodyMb!,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const [line] = (await once(child.stdout!, 'data')) as [Buffer];
const url = line.toString().trim();

const body = encodeInferRequest({ inputs: [tensor(new Float32Array((num('mb') * 2 ** 20) / 4))] });
const answers: Record<string, number> = {};
const bar = new SingleBar({ format: 'load [{bar}] {value}/{total}' }, Presets.shades_classic);
bar.start(num('requests'), 0);
const started = performance.now();
let sent = 0;
await Promise.all(
  Array.from({ length: num('parallel') }, async () => {
    while (sent < num('requests')) {
      sent++;
      let key: string;
      try {
        const res = await fetch(url, { method: 'POST', body });
        await res.arrayBuffer();
        key = String(res.status);
      } catch (err) {
        key = `error: ${(err as Error).cause ?? err}`;
      }
      answers[key] = (answers[key] ?? 0) + 1;
      bar.increment();
    }
  }),
);
bar.stop();
const seconds = (performance.now() - started) / 1000;
const peak = peakRss(child.pid!);
child.kill('SIGTERM');
const [code] = await once(child, 'exit');

console.log(
  `${num('requests')} requests of ${mib(body.length)} (${num('parallel')} in flight) in ${seconds.toFixed(1)} s`,
);
console.log(`answers: ${JSON.stringify(answers)}  (200 = served, 503 = turned away with Retry-After)`);
console.log(
  `server peak RSS ${mib(peak)} = ${peak ? (peak / body.length).toFixed(1) : 'n/a'}x one request; server exited with ${code} after SIGTERM`,
);
