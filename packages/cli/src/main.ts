import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { isGraphPipeError, isModelName, MODEL_NAME_RULE } from '@graphpipe/protocol';
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

const tokenOption = () =>
  new Option('--token <token>', "the server's token for models (Authorization: Bearer)").env('GRAPHPIPE_AUTH_TOKEN');

/** A model name, checked while parsing: a name the server would refuse fails here, saying the rule. */
const modelNameArg = (value: string) => {
  if (!isModelName(value)) throw new InvalidArgumentError(`not a model name: ${MODEL_NAME_RULE}`);
  return value;
};

/** --workers: a whole number of at least 1, or auto. */
const workers = (value: string) => (value === 'auto' ? value : wholeNumber(1)(value));

/** This package's version, from its package.json (beside dist/ and src/ alike). */
function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('graphpipe')
    .description('Serve machine learning models over the GraphPipe protocol, and query them.')
    .version(cliVersion(), '-v, --version', 'print the version of graphpipe')
    .showHelpAfterError();

  program
    .command('serve')
    .description(
      'serve a model (an .onnx/.ort file, a TF.js or SavedModel directory, a composition .yaml/.json) or a directory of models',
    )
    .argument('<model>', 'path to the model, or to a directory of models (a model repository)')
    .option('--host <host>', 'interface to listen on (0.0.0.0 for all)', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on', wholeNumber(0), '9000')
    .option(
      '--grpc-port <port>',
      'port of the Open Inference Protocol over gRPC, as Triton has it (default 8001, or a free one with --port 0); 0 turns it off',
      wholeNumber(0),
    )
    .option('--name <name>', 'model name reported in metadata (one model)', modelNameArg)
    .option('--default <name>', 'with several models: the one that POST / and GET / use', modelNameArg)
    .option('--no-watch', "a repository: do not load, reload or unload models as the directory's files change")
    .addOption(
      new Option('--auth-token <token>', 'a token callers of models must send (Authorization: Bearer)').env(
        'GRAPHPIPE_AUTH_TOKEN',
      ),
    )
    .addOption(
      new Option('--admin-token <token>', 'the token of the repository API (load, unload, index); off without').env(
        'GRAPHPIPE_ADMIN_TOKEN',
      ),
    )
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; with --tls-key)')
    .option('--tls-key <file>', "the certificate's private key (PEM)")
    .option('--concurrency <n>', "inferences run at once (default: the backend's choice)", wholeNumber(1))
    .option(
      '--workers <n>',
      'processes serving on the same port, each with its own models: a number, or auto for one per core',
      workers,
      '1',
    )
    .option('--max-queue <n>', 'requests that may wait before the server answers 503', wholeNumber(0))
    .option('--max-body-mb <n>', 'largest request body, in MiB', wholeNumber(1))
    .addOption(
      new Option(
        '--device <device>',
        'where models run: cpu, or cuda (fails at startup, saying what to install, without it)',
      )
        .choices(['cpu', 'cuda'])
        .default('cpu'),
    )
    .option(
      '--max-batch-size <n>',
      'join concurrent requests into batches of up to n rows (dynamic batching)',
      wholeNumber(1),
    )
    .option(
      '--max-batch-delay <ms>',
      'with --max-batch-size: longest a request waits for its batch',
      wholeNumber(0),
      '2',
    )
    .option('--cache-mb <n>', 'keep answers by row, up to n MiB, and run only rows not seen before', wholeNumber(1))
    .option(
      '--warmup <n>',
      'run each model n rounds on its examples (or generated inputs) as it loads, before it is ready; a repository: the default',
      wholeNumber(0),
    )
    .option(
      '--request-timeout <ms>',
      'answer an inference 504 (v2: 503) once it has taken this long, for callers that set no timeout of their own',
      wholeNumber(1),
    )
    .option('--no-cors', 'disable CORS headers for browser callers')
    .option('--no-ui', 'no playground page for browsers at / and /ui')
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
    .option('-q, --quiet', 'no request log lines (warnings and errors stay)')
    .option(
      '--otlp-endpoint <url>',
      'trace requests with OpenTelemetry, exporting spans over OTLP/HTTP to this collector (e.g. http://127.0.0.1:4318); ' +
        'also on when OTEL_EXPORTER_OTLP_ENDPOINT is set; the service is OTEL_SERVICE_NAME (default graphpipe); ' +
        'needs the optional OpenTelemetry SDK packages',
    )
    .action(serveCommand);

  program
    .command('info')
    .description("print a served model's metadata")
    .argument(
      '<url>',
      'server URL, e.g. http://127.0.0.1:9000 (a model of several: …/models/<name>), a v2 model URL, e.g. …/v2/models/iris, or a gRPC one, e.g. grpc://127.0.0.1:8001/models/iris',
    )
    .option('--json', 'print JSON instead of a table')
    .option('--ca <file>', "trust this certificate authority's certificate (PEM) for https and grpcs")
    .addOption(tokenOption())
    .addOption(new Option('--timeout <ms>', 'deadline in ms').default('30000').argParser(wholeNumber(1)))
    .action(infoCommand);

  program
    .command('infer')
    .description('run a served model on tensors from .npy/.json files or inline JSON')
    .argument(
      '<url>',
      'server URL, a v2 model URL (…/v2/models/<name>[/versions/<v>]), or a gRPC one (grpc://host:8001/models/<name>)',
    )
    .requiredOption('-i, --input <[name=]file|json>', 'an input tensor (repeat for several)', collect)
    .option('-o, --output <name>', "an output to fetch (repeat; default: the model's outputs)", collect)
    .option('-c, --config <string>', 'opaque per-request config for the model')
    .option('--json', 'print outputs as JSON')
    .option('--save <dir>', 'also write each output as <dir>/<name>.npy')
    .option('--ca <file>', "trust this certificate authority's certificate (PEM) for https and grpcs")
    .addOption(tokenOption())
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
    // A cluster worker's channel to the primary would keep it alive (and a disconnect exits with 0).
    if (cluster.isWorker) process.exit(1);
  }
}
