/**
 * Warm-up tier: how long the first inference of a freshly started server takes, with and without
 * warm-up, for the bundled ONNX and TF.js models. Each is served by the CLI (`graphpipe serve
 * <model> [--warmup N]`) in a process of its own, so nothing in this process is warm for it; the
 * settings alternate in rounds. Each first request is set against the same server's steady
 * latency (the median of the requests after it): a ratio within one process, read next to the
 * other setting's. Metadata and examples are fetched before the first inference, so the server's
 * own HTTP path is already warm and what differs is the model's first run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { RemoteModel, type Tensor, tensor, tensorFromJson, typedArrayFor } from '@graphpipe/client';
import type { BenchConfig } from './config.js';
import { progress } from './progress.js';
import type { WarmUpResults, WarmUpSetting } from './results.js';

const CLI = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));
const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

export async function runWarmUp(config: BenchConfig): Promise<WarmUpResults> {
  const { models, warmupRounds, rounds, steadyRequests } = config.warmUp;
  const settings = [0, warmupRounds];
  const bar = progress('warm-up', models.length * rounds * settings.length, config.progress);
  const rows: WarmUpResults['rows'][number][] = [];
  try {
    for (const model of models) {
      const samples = new Map(settings.map((w) => [w, [] as Sample[]]));
      for (let round = 0; round < rounds; round++) {
        // Alternating, and in the other order every other round, so drift on the machine hits both alike.
        const order = round % 2 === 0 ? settings : [...settings].reverse();
        for (const warmup of order) {
          samples.get(warmup)!.push(await firstRequest(`${MODELS_DIR}${model}`, warmup, steadyRequests));
          bar.tick(`${model} --warmup ${warmup}`);
        }
      }
      const [cold, warm] = settings.map((w) => summarise(w, samples.get(w)!)) as [WarmUpSetting, WarmUpSetting];
      rows.push({ model, cold, warm, firstRatio: cold.firstMs / warm.firstMs });
    }
  } finally {
    bar.stop();
  }
  return { warmupRounds, rounds, steadyRequests, rows };
}

interface Sample {
  readonly startupMs: number;
  readonly firstMs: number;
  readonly steadyMs: number;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function summarise(warmupRounds: number, samples: readonly Sample[]): WarmUpSetting {
  const firstMs = median(samples.map((s) => s.firstMs));
  const steadyMs = median(samples.map((s) => s.steadyMs));
  return {
    warmupRounds,
    startupMs: median(samples.map((s) => s.startupMs)),
    firstMs,
    steadyMs,
    firstToSteady: firstMs / steadyMs,
  };
}

/** Starts a server for the model, times its first inference and then its steady ones, and stops it. */
async function firstRequest(path: string, warmup: number, steadyRequests: number): Promise<Sample> {
  const started = performance.now();
  const args = [CLI, 'serve', path, '--port', '0', '--quiet', '--no-ui', '--shutdown-grace', '0'];
  if (warmup > 0) args.push('--warmup', String(warmup));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await listening(child);
    const startupMs = performance.now() - started;
    const model = new RemoteModel(url);
    const inputs = await inputsFor(url, model);
    const time = async () => {
      const t = performance.now();
      await model.infer(inputs);
      return performance.now() - t;
    };
    const firstMs = await time();
    const steady: number[] = [];
    for (let i = 0; i < steadyRequests; i++) steady.push(await time());
    return { startupMs, firstMs, steadyMs: median(steady) };
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGINT');
    await exited;
  }
}

function listening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const read = (chunk: Buffer) => {
      output += chunk;
      const found = /serving \S+ on (http:\/\/\S+)/.exec(output);
      if (found) resolve(found[1]!);
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.once('exit', (code) => reject(new Error(`graphpipe serve exited (${code}) before listening: ${output}`)));
  });
}

/** The model's own examples when they give every input, else zeros of its declared shapes (unknown sizes 1). */
async function inputsFor(url: string, model: RemoteModel): Promise<Record<string, Tensor>> {
  const meta = await model.metadata();
  const examples = (await (await fetch(`${url}/models/${meta.name}/examples`)).json()) as Record<string, unknown>;
  const inputs: Record<string, Tensor> = {};
  for (const spec of meta.inputs) {
    if (spec.name in examples) {
      inputs[spec.name] = tensorFromJson(examples[spec.name]);
      continue;
    }
    const shape = (spec.shape ?? [1]).map((d) => (d < 0 ? 1 : d));
    const count = shape.reduce((a, b) => a * b, 1);
    const dtype = spec.dtype ?? 'float32';
    inputs[spec.name] =
      dtype === 'string'
        ? tensor(new Array<string>(count).fill('text'), shape, 'string')
        : tensor(new (typedArrayFor(dtype))(count), shape, dtype);
  }
  return inputs;
}
