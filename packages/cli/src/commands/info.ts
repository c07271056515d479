import { RemoteModel } from '@graphpipe/client';
import type { TensorSpec } from '@graphpipe/protocol';
import Table from 'cli-table3';
import { authorization } from '../auth.js';
import { wantsColour } from '../colour.js';

export async function infoCommand(
  url: string,
  opts: { json?: boolean; timeout: string; token?: string },
): Promise<void> {
  const model = new RemoteModel(url, { headers: authorization(opts.token) });
  const meta = await model.metadata({ timeoutMs: Number(opts.timeout) });
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
