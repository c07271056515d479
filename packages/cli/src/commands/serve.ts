import { serve } from '@graphpipe/server-core/node';
import { loadBackend } from '../load-backend.js';

export interface ServeCommandOptions {
  host: string;
  port: string;
  name?: string;
  concurrency?: string;
  maxQueue?: string;
  maxBodyMb?: string;
  cors: boolean;
  ui: boolean;
  device: 'cpu' | 'cuda';
  maxBatchSize?: string;
  maxBatchDelay: string;
  cacheMb?: string;
  shutdownGrace: string;
  drainTimeout: string;
  quiet?: boolean;
}

export async function serveCommand(model: string, opts: ServeCommandOptions): Promise<void> {
  const backend = await loadBackend(model, { name: opts.name, device: opts.device });
  const handle = await serve(backend, {
    host: opts.host,
    port: Number(opts.port),
    concurrency: opts.concurrency ? Number(opts.concurrency) : undefined,
    maxQueue: opts.maxQueue ? Number(opts.maxQueue) : undefined,
    maxBodyBytes: opts.maxBodyMb ? Number(opts.maxBodyMb) * 1024 * 1024 : undefined,
    cors: opts.cors,
    ui: opts.ui,
    batching: opts.maxBatchSize
      ? { maxBatchSize: Number(opts.maxBatchSize), maxDelayMs: Number(opts.maxBatchDelay) }
      : undefined,
    cache: opts.cacheMb ? { maxBytes: Number(opts.cacheMb) * 1024 * 1024 } : undefined,
    logger: opts.quiet ? false : undefined,
    shutdownGraceMs: Number(opts.shutdownGrace),
    drainTimeoutMs: Number(opts.drainTimeout),
    handleSignals: true,
  });
  const { inputs, outputs } = backend.metadata;
  const list = (ios: typeof inputs) =>
    ios.map((io) => `${io.name} ${io.dtype ?? 'any'}[${io.shape?.join(', ') ?? '…'}]`).join(', ');
  console.log(`serving ${backend.metadata.name} on ${handle.url}`);
  // For TF.js models this says which engine runs them (native, wasm or cpu).
  if (backend.metadata.description) console.log(`  model:   ${backend.metadata.description}`);
  console.log(`  inputs:  ${list(inputs)}`);
  console.log(`  outputs: ${list(outputs)}`);
}
