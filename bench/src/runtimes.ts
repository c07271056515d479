/**
 * Runtimes tier: the same identity model served by Node's, Bun's and Deno's own entry points
 * (server-core /node, /bun, /deno), each in its own process, driven from this one: small
 * requests with autocannon (as the small tier), and large ones from the large tier's load
 * generator (one connection). Ratios are to Node's, measured in the same run.
 */
import { encodeInferRequest, encodeInferResponse, tensor } from '@graphpipe/protocol';
import type { RuntimeName } from '@graphpipe/test-utils';
import type { BenchConfig } from './config.js';
import { IMAGE_ROW } from './data.js';
import { drive } from './drive.js';
import { largeClient } from './large-client.js';
import { load, percentile } from './e2e-small.js';
import { progress } from './progress.js';
import type { RuntimeRow, RuntimesResults } from './results.js';
import { startRuntimeServer } from './runtime-process.js';

const RUNTIMES: readonly RuntimeName[] = ['node', 'bun', 'deno'];

async function measure(runtime: RuntimeName, config: BenchConfig, tick: (label: string) => void) {
  const server = await startRuntimeServer(runtime);
  try {
    const input = tensor(new Float32Array([5.1, 3.5, 1.4, 0.2]), [1, 4]);
    const body = Buffer.from(encodeInferRequest({ inputs: [input] }));
    const expected = Buffer.from(encodeInferResponse({ outputs: [input] }));
    const { connections, durationSec, warmupSec } = config.runtimes.small;
    if (warmupSec > 0) await load(server.url, 'application/octet-stream', body, expected, connections, warmupSec);
    const latencies: number[] = [];
    const r = await load(server.url, 'application/octet-stream', body, expected, connections, durationSec, latencies);
    if (r.non2xx || r.mismatches || r.errors) {
      throw new Error(
        `${runtime}: ${r.non2xx} non-2xx, ${r.mismatches} mismatched bodies, ${r.errors} errors under load`,
      );
    }
    tick(`${runtime} small`);
    const small = {
      requestsPerSec: r['2xx'] / r.duration,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    };
    const large = [];
    for (const batch of config.runtimes.batches) {
      // The large tier's load generator: the same bytes each time, the first answer checked.
      const client = largeClient('graphpipe', server.url, batch, 1);
      try {
        const { rowsPerSec, requests } = await drive({ concurrency: 1, ...config.runtimes.large }, client.once);
        large.push({ batch, rowsPerSec, requests });
      } finally {
        client.close();
      }
      tick(`${runtime} batch ${batch}`);
    }
    return { small, large };
  } finally {
    await server.close();
  }
}

export async function runRuntimes(config: BenchConfig): Promise<RuntimesResults> {
  const bar = progress('runtimes', RUNTIMES.length * (1 + config.runtimes.batches.length), config.progress);
  try {
    const measured = [];
    for (const runtime of RUNTIMES) measured.push({ runtime, ...(await measure(runtime, config, (l) => bar.tick(l))) });
    const node = measured[0]!;
    const rows: RuntimeRow[] = measured.map(({ runtime, small, large }) => ({
      runtime,
      small: {
        ...small,
        requestsPerSecToNode: small.requestsPerSec / node.small.requestsPerSec,
        p50ToNode: small.p50Ms / node.small.p50Ms,
      },
      large: large.map((cell, i) => ({ ...cell, rowsPerSecToNode: cell.rowsPerSec / node.large[i]!.rowsPerSec })),
    }));
    return {
      connections: config.runtimes.small.connections,
      durationSec: config.runtimes.small.durationSec,
      rowShape: IMAGE_ROW,
      rows,
    };
  } finally {
    bar.stop();
  }
}
