import { isGraphPipeError } from '@graphpipe/protocol';
import { Command, InvalidArgumentError, Option } from 'commander';
import { inferCommand } from './commands/infer.js';
import { infoCommand } from './commands/info.js';
import { serveCommand } from './commands/serve.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** A whole number of at least `min`, checked while parsing so a typo gets one clear line. */
const wholeNumber = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number of at least ${min}`);
  return value;
};

export function buildProgram(): Command {
  const program = new Command('graphpipe')
    .description('Serve machine learning models over the GraphPipe protocol, and query them.')
    .showHelpAfterError();

  program
    .command('serve')
    .description('serve a model: an .onnx/.ort file, a TF.js or SavedModel directory, or a composition (.yaml/.json)')
    .argument('<model>', 'path to the model')
    .option('--host <host>', 'interface to listen on (0.0.0.0 for all)', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on', wholeNumber(0), '9000')
    .option('--name <name>', 'model name reported in metadata')
    .option('--concurrency <n>', "inferences run at once (default: the backend's choice)", wholeNumber(1))
    .option('--max-queue <n>', 'requests that may wait before the server answers 503', wholeNumber(0))
    .option('--max-body-mb <n>', 'largest request body, in MiB', wholeNumber(1))
    .option('--no-cors', 'disable CORS headers for browser callers')
    .option(
      '--shutdown-grace <ms>',
      'after SIGTERM, keep answering (503, not ready) this long before no longer accepting connections',
      wholeNumber(0),
      '3000',
    )
    .option(
      '--drain-timeout <ms>',
      'how long shutdown waits for requests in flight before answering them 503',
      wholeNumber(0),
      '10000',
    )
    .option('-q, --quiet', 'no request log lines')
    .action(serveCommand);

  program
    .command('info')
    .description("print a served model's metadata")
    .argument(
      '<url>',
      'server URL, e.g. http://127.0.0.1:9000, or a v2 model URL, e.g. http://127.0.0.1:9000/v2/models/iris',
    )
    .option('--json', 'print JSON instead of a table')
    .addOption(new Option('--timeout <ms>', 'deadline in ms').default('30000').argParser(wholeNumber(1)))
    .action(infoCommand);

  program
    .command('infer')
    .description('run a served model on tensors from .npy/.json files or inline JSON')
    .argument('<url>', 'server URL, or a v2 model URL (…/v2/models/<name>[/versions/<v>])')
    .requiredOption('-i, --input <[name=]file|json>', 'an input tensor (repeat for several)', collect)
    .option('-o, --output <name>', "an output to fetch (repeat; default: the model's outputs)", collect)
    .option('-c, --config <string>', 'opaque per-request config for the model')
    .option('--json', 'print outputs as JSON')
    .option('--save <dir>', 'also write each output as <dir>/<name>.npy')
    .addOption(new Option('--timeout <ms>', 'deadline in ms').default('60000').argParser(wholeNumber(1)))
    .action(inferCommand);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // Expected failures get one clear line; anything else keeps its stack for a bug report.
    const known =
      isGraphPipeError(err) || (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError));
    console.error(`graphpipe: ${known ? (err as Error).message : ((err as Error)?.stack ?? String(err))}`);
    process.exitCode = 1;
  }
}
