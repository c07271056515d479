import { isGraphPipeError, RemoteModel, type RemoteModelOptions } from '@graphpipe/client';
import type { TensorSpec } from '@graphpipe/protocol';
import Table from 'cli-table3';
import { wantsColour } from '../colour.js';
import { clientOptions, type RemoteOptions } from '../remote.js';

interface InfoOptions extends RemoteOptions {
  json?: boolean;
  timeout: string;
}

/** One model of a server's `GET /models`. */
interface ListedModel {
  name: string;
  versions: { version: string; state: string; reason?: string }[];
}

export async function infoCommand(url: string, opts: InfoOptions): Promise<void> {
  const options = await clientOptions(opts);
  const timeoutMs = Number(opts.timeout);
  let meta: Awaited<ReturnType<RemoteModel['metadata']>>;
  const model = new RemoteModel(url, options);
  try {
    meta = await model.metadata({ timeoutMs });
  } catch (err) {
    // A server of several models without a default answers 404 at its root: list them instead.
    const listable = isGraphPipeError(err) && err.status === 404 && model.protocol !== 'grpc';
    const models = listable ? await listModels(url, options, timeoutMs) : undefined;
    if (!models) throw err;
    printModels(url, models, opts.json);
    return;
  } finally {
    model.close();
  }
  if (opts.json) {
    console.log(JSON.stringify(meta, null, 2));
    return;
  }
  console.log(`${meta.name}${meta.version ? ` ${meta.version}` : ''}  (server: ${meta.server || 'unknown'})`);
  if (meta.description) console.log(meta.description);
  const table = new Table({
    head: ['', 'name', 'dtype', 'shape', 'description'],
    // cli-table3 colours its head and border by default, whatever the output is.
    style: wantsColour() ? {} : { head: [], border: [] },
  });
  const rows = (kind: string, ios: readonly TensorSpec[]) =>
    ios.map((io) => [
      kind,
      io.name,
      io.dtype ?? 'any',
      io.shape ? `[${io.shape.join(', ')}]` : 'any',
      io.description ?? '',
    ]);
  table.push(...rows('input', meta.inputs), ...rows('output', meta.outputs));
  console.log(table.toString());
}

/** The server's `GET /models`, or undefined when it has no such list (an original GraphPipe server). */
async function listModels(
  url: string,
  options: RemoteModelOptions,
  timeoutMs: number,
): Promise<ListedModel[] | undefined> {
  try {
    const res = await (options.fetch ?? fetch)(`${url.replace(/\/+$/, '')}/models`, {
      headers: options.headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const list: unknown = res.ok ? await res.json() : undefined;
    const isList = Array.isArray(list) && list.every((m) => typeof m?.name === 'string' && Array.isArray(m.versions));
    return isList ? (list as ListedModel[]) : undefined;
  } catch {
    return undefined;
  }
}

function printModels(url: string, models: ListedModel[], json?: boolean): void {
  if (json) {
    console.log(JSON.stringify(models, null, 2));
    return;
  }
  const base = url.replace(/\/+$/, '');
  console.log(`${base} serves ${models.length} model(s) and none by default; name one: ${base}/models/<name>`);
  for (const { name, versions } of models) {
    const states = versions.map((v) => `${v.version} ${v.state}${v.reason ? ` (${v.reason})` : ''}`).join(', ');
    console.log(`  ${name}: ${states}`);
  }
}
