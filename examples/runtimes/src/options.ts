/** The command line both programs take, a few of `graphpipe serve`'s flags: `<model.onnx> [--port N] [--max-body-mb N] [--shutdown-grace MS]`. */
import { parseArgs } from 'node:util';

export function serveArguments(args: readonly string[]) {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      port: { type: 'string', short: 'p', default: '9000' },
      'max-body-mb': { type: 'string' },
      'shutdown-grace': { type: 'string', default: '3000' },
    },
  });
  const model = positionals[0];
  if (!model) throw new Error('usage: <model.onnx> [--port N] [--max-body-mb N] [--shutdown-grace MS]');
  const maxBodyMb = values['max-body-mb'];
  return {
    model,
    options: {
      port: Number(values.port),
      shutdownGraceMs: Number(values['shutdown-grace']),
      handleSignals: true,
      ...(maxBodyMb === undefined ? {} : { maxBodyBytes: Number(maxBodyMb) * 2 ** 20 }),
    },
  };
}
