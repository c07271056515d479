import { RemoteModel, type RemoteModelOptions } from '@graphpipe/client';
import type { Backend } from '@graphpipe/server-core';
import { toModelMetadata } from './remote-metadata.js';
import { upstreamError } from './upstream-error.js';

export interface RemoteBackendOptions extends RemoteModelOptions {
  /** The name to report. Default: the upstream's. */
  name?: string;
  /** Requests forwarded at once (the upstream limits its own work). Default 32. */
  concurrency?: number;
}

export interface RemoteBackend extends Backend {
  readonly url: string;
}

/**
 * A backend whose model runs on another GraphPipe server: a gateway in front of it, one arm of
 * an A/B split, a pinned version, or a stage of a pipeline. The metadata is fetched once, here.
 */
export async function createRemoteBackend(
  url: string | URL,
  options: RemoteBackendOptions = {},
): Promise<RemoteBackend> {
  const model = new RemoteModel(url, options);
  const metadata = toModelMetadata(
    await model.metadata().catch((err) => {
      throw upstreamError(err, model.url);
    }),
    options.name,
  );
  return {
    url: model.url,
    metadata,
    concurrency: options.concurrency ?? 32,
    async infer(inputs, outputNames, { config, signal, deadline }) {
      try {
        // The caller's signal goes along, so a caller who leaves cancels the upstream call too;
        // and its deadline, so the upstream server gives up when this one does.
        const { outputs, byName } = await model.infer(inputs, { outputNames, config, signal, deadline });
        // Keyed from the answer's order rather than byName, so an output called "__proto__" stays a key.
        return outputNames.length ? Object.fromEntries(outputNames.map((name, i) => [name, outputs[i]!])) : byName;
      } catch (err) {
        throw upstreamError(err, model.url);
      }
    },
  };
}
