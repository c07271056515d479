/** Runs every tier and collects the results; main.ts is the command line around it. */
import { cpus, loadavg, platform, release } from 'node:os';
import { runCodec } from './codec.js';
import { type BenchConfig, FULL, QUICK } from './config.js';
import { runLarge } from './e2e-large.js';
import { runGrpc } from './e2e-grpc.js';
import { runEdgeOnnx } from './edge-onnx.js';
import { runSmall } from './e2e-small.js';
import { runRealModel } from './real-model.js';
import type { BenchResults } from './results.js';
import { runRuntimes } from './runtimes.js';
import { runWarmUp } from './warm-up.js';

export interface RunOptions {
  /** Tiny sizes and counts: exercises every tier in well under a minute, measures nothing. */
  quick?: boolean;
  /** Progress on stderr (default true). */
  progress?: boolean;
  /** The tiers to run (default: all). */
  tiers?: readonly Tier[];
  /** The large tier's batch sizes, in place of the configured ones (e.g. 8 and 128: 4.8 and 77 MB). */
  largeBatches?: readonly number[];
  /** The large tier's JSON servers (default true): the slowest cells by far. */
  largeJson?: boolean;
}

export const TIERS = ['codec', 'large', 'small', 'grpc', 'model', 'runtimes', 'edge', 'warmup'] as const;
export type Tier = (typeof TIERS)[number];

export async function runBenchmarks(options: RunOptions = {}): Promise<BenchResults> {
  const base = options.quick ? QUICK : FULL;
  const large = {
    ...base.large,
    ...(options.largeBatches ? { batches: options.largeBatches } : {}),
    ...(options.largeJson === false ? { jsonBatches: [] } : {}),
  };
  const config: BenchConfig = { ...base, large, progress: options.progress ?? true };
  const start = performance.now();
  const load = loadavg();
  const tiers = new Set(options.tiers ?? TIERS);
  const codec = tiers.has('codec') ? await runCodec(config) : undefined;
  const e2eLarge = tiers.has('large') ? await runLarge(config) : undefined;
  const e2eSmall = tiers.has('small') ? await runSmall(config) : undefined;
  const grpc =
    tiers.has('small') || tiers.has('large') || tiers.has('grpc') ? await runGrpc(config, tiers, e2eSmall) : undefined;
  const realModel = tiers.has('model') ? await runRealModel(config) : undefined;
  const runtimes = tiers.has('runtimes') ? await runRuntimes(config) : undefined;
  const edgeOnnx = tiers.has('edge') ? await runEdgeOnnx(config) : undefined;
  const warmUp = tiers.has('warmup') ? await runWarmUp(config) : undefined;
  return {
    meta: {
      quick: config.quick,
      date: new Date().toISOString(),
      node: process.version,
      platform: `${platform()} ${release()}`,
      cpus: cpus().length,
      loadavg: load,
      seconds: (performance.now() - start) / 1000,
    },
    codec,
    e2eLarge,
    e2eSmall,
    grpc,
    realModel,
    runtimes,
    edgeOnnx,
    warmUp,
  };
}
