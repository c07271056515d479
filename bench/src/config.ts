/** Sizes, counts and durations of a run: the full bench, or --quick (a smoke test of the harness). */

export interface BenchConfig {
  readonly quick: boolean;
  /** Show progress on stderr. */
  readonly progress: boolean;
  readonly codec: {
    /** Rows of 224x224x3 in the request, and of 7x7x512 in the response (the seed: 128 each). */
    readonly requestRows: number;
    readonly responseRows: number;
    /** JSON and protobuf `float_val` run on this many rows and are scaled linearly to the full size. */
    readonly requestSliceRows: number;
    readonly responseSliceRows: number;
    /** tinybench budget per task (ms) and minimum iterations. */
    readonly timeMs: number;
    readonly iterations: number;
    readonly warmupIterations: number;
  };
  readonly large: {
    readonly batches: readonly number[];
    readonly concurrency: readonly number[];
    /** The JSON server runs only at these batch sizes (its cost grows out of bounds beyond). */
    readonly jsonBatches: readonly number[];
    /** Each cell runs at least this long and at least `minRequests` per client, at most `maxRequests` in all. */
    readonly durationMs: number;
    readonly minRequestsPerClient: number;
    readonly maxRequests: number;
    /** Servers alternate in this many rounds per cell (the duration and counts are split among them). */
    readonly rounds: number;
    /** A fresh server process per batch size, so each batch's peak RSS starts from a clean heap. */
    readonly freshServerPerBatch: boolean;
  };
  readonly small: {
    readonly connections: number;
    readonly durationSec: number;
    readonly warmupSec: number;
    /** gRPC's h2load cells: requests per round (a fixed count), and rounds alternating the servers. */
    readonly h2loadRequests: number;
    readonly h2loadRounds: number;
  };
  /** The identity server on each runtime's entry point: autocannon as `small`, then our client as `large`. */
  readonly runtimes: {
    readonly small: { readonly connections: number; readonly durationSec: number; readonly warmupSec: number };
    readonly batches: readonly number[];
    readonly large: {
      readonly durationMs: number;
      readonly minRequestsPerClient: number;
      readonly maxRequests: number;
    };
  };
  /** onnxruntime-web against onnxruntime-node, in process, per model. */
  readonly edgeOnnx: {
    readonly batch: number;
    readonly durationMs: number;
    readonly minRequestsPerClient: number;
    readonly maxRequests: number;
  };
  /** A fresh CLI server per model and setting: the first inference with and without warm-up. */
  readonly warmUp: {
    /** Paths under models/. */
    readonly models: readonly string[];
    /** The --warmup of the warm setting. */
    readonly warmupRounds: number;
    /** Servers started per model and setting, alternating. */
    readonly rounds: number;
    /** Inferences after the first, whose median is the steady latency. */
    readonly steadyRequests: number;
  };
  readonly model: {
    /** A model file, or 'resnet18': the ResNet-18-shaped model, built on demand. */
    readonly path: string;
    readonly batch: number;
    readonly durationMs: number;
    readonly minRequests: number;
    /** Many single-row clients at once, with dynamic batching off and on. */
    readonly batching: {
      readonly clients: number;
      readonly maxBatchSize: number;
      readonly maxDelayMs: number;
      readonly durationMs: number;
    };
  };
}

const modelPath = new URL('../../models/tiny-conv.onnx', import.meta.url).pathname;

export const FULL: BenchConfig = {
  quick: false,
  progress: true,
  codec: {
    requestRows: 128,
    responseRows: 128,
    requestSliceRows: 1,
    responseSliceRows: 8,
    timeMs: 300,
    iterations: 5,
    warmupIterations: 2,
  },
  large: {
    batches: [1, 8, 32, 128],
    concurrency: [1, 5],
    jsonBatches: [1, 8],
    durationMs: 2_000,
    minRequestsPerClient: 2,
    maxRequests: 20_000,
    rounds: 3,
    freshServerPerBatch: true,
  },
  small: { connections: 32, durationSec: 5, warmupSec: 1, h2loadRequests: 10_000, h2loadRounds: 3 },
  runtimes: {
    small: { connections: 32, durationSec: 5, warmupSec: 1 },
    batches: [8, 32],
    large: { durationMs: 3_000, minRequestsPerClient: 3, maxRequests: 20_000 },
  },
  edgeOnnx: { batch: 32, durationMs: 2_000, minRequestsPerClient: 5, maxRequests: 1_000_000 },
  warmUp: {
    models: ['iris-classifier.onnx', 'tiny-conv.onnx', 'matmul-add-relu.onnx', 'tf-iris', 'tf-conv', 'tf-graph'],
    warmupRounds: 3,
    rounds: 3,
    steadyRequests: 20,
  },
  model: {
    path: 'resnet18',
    batch: 8,
    durationMs: 15_000,
    minRequests: 3,
    batching: { clients: 32, maxBatchSize: 32, maxDelayMs: 10, durationMs: 20_000 },
  },
};

export const QUICK: BenchConfig = {
  quick: true,
  progress: true,
  codec: {
    requestRows: 2,
    responseRows: 2,
    requestSliceRows: 1,
    responseSliceRows: 1,
    timeMs: 10,
    iterations: 2,
    warmupIterations: 1,
  },
  large: {
    batches: [1, 2],
    concurrency: [1, 5],
    jsonBatches: [1],
    durationMs: 150,
    minRequestsPerClient: 1,
    maxRequests: 200,
    rounds: 1,
    freshServerPerBatch: false,
  },
  small: { connections: 32, durationSec: 1, warmupSec: 0, h2loadRequests: 1_000, h2loadRounds: 1 },
  runtimes: {
    small: { connections: 8, durationSec: 1, warmupSec: 0 },
    batches: [1],
    large: { durationMs: 100, minRequestsPerClient: 1, maxRequests: 50 },
  },
  edgeOnnx: { batch: 4, durationMs: 100, minRequestsPerClient: 2, maxRequests: 1_000 },
  warmUp: { models: ['iris-classifier.onnx', 'tf-iris'], warmupRounds: 1, rounds: 1, steadyRequests: 2 },
  model: {
    path: modelPath,
    batch: 4,
    durationMs: 200,
    minRequests: 2,
    batching: { clients: 4, maxBatchSize: 4, maxDelayMs: 5, durationMs: 200 },
  },
};
