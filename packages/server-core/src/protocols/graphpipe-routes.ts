import {
  byteLength,
  type DecodeLimits,
  decodeRequest,
  encodeInferResponse,
  encodeInferResponseChunks,
  GraphPipeError,
  JOIN_BELOW_BYTES,
  type Tensor,
} from '@graphpipe/protocol';
import { writeSmall } from '../http/byte-pool.js';
import type { RequestContext, Route } from '../http/context.js';
import { binaryReply, jsonReply } from '../http/exchange.js';
import type { RouteTable } from '../http/routes.js';
import { examplesText } from '../models/examples.js';
import type { ServedModel } from '../models/model.js';
import { modelName, versionOf } from '../models/names.js';
import type { ModelRegistry } from '../models/registry.js';
import { resolveRequest } from '../models/resolve.js';
import { inSpan } from '../tracing/spans.js';

/**
 * GraphPipe over HTTP. As the original servers answer it: a Request buffer POSTed to any path
 * (the original clients post to the URL they were given, whatever its path and Content-Type)
 * runs the default model, and a GET of the root gives its metadata as JSON. With several
 * models: POST /models/{name}[/versions/{v}] runs one, GET /models lists them, GET
 * /models/{name}[/versions/{v}] gives one's metadata, and .../examples the inputs it offers to try.
 */
export function addGraphPipeRoutes(table: RouteTable, models: ModelRegistry, decodeLimits: DecodeLimits): void {
  const run = (pick: (ctx: RequestContext) => ServedModel): Route => ({
    protocol: 'graphpipe',
    async handle(ctx) {
      const model = ctx.use(pick(ctx));
      const req = decodeRequest(await ctx.readBody({ shared: model.backend.sharedInputs }), decodeLimits);
      ctx.kind = req.kind;
      if (req.kind === 'metadata') return binaryReply(model.metadataBytes);
      refuseBoolInputs(model);
      const { inputs, outputNames } = resolveRequest(req, model.signature);
      const outputs = await model.infer(inputs, outputNames, ctx.run(req.config));
      return binaryReply(inSpan(ctx.trace, 'encode', encodeAnswer, outputs));
    },
  });
  /** A JSON answer about one model. */
  const about =
    (kind: string, text: (model: ServedModel) => string) =>
    (pick: (ctx: RequestContext) => ServedModel): Route => ({
      protocol: 'graphpipe',
      handle(ctx) {
        const model = pick(ctx);
        ctx.kind = kind;
        ctx.model = model.name;
        ctx.version = model.version;
        return jsonReply(text(model));
      },
    });
  const metadata = about('metadata', (model) => model.metadataText);
  const examples = about('examples', (model) => examplesText(model.metadata));
  const named = (ctx: RequestContext) => models.find(modelName(ctx.params.name!), versionOf(ctx.params.version));
  const byDefault = () => models.find();

  table.add('GET', '/models', {
    protocol: 'graphpipe',
    handle(ctx) {
      ctx.kind = 'list';
      return jsonReply(JSON.stringify(listModels(models), null, 2));
    },
  });
  table.add('GET', '/models/:name', metadata(named));
  table.add('GET', '/models/:name/versions/:version', metadata(named));
  table.add('GET', '/models/:name/examples', examples(named));
  table.add('GET', '/models/:name/versions/:version/examples', examples(named));
  table.add('POST', '/models/:name', run(named));
  table.add('POST', '/models/:name/versions/:version', run(named));
  // Anything else under /models is a mistake, never a request for the default model.
  const malformed: Route = {
    protocol: 'graphpipe',
    handle(ctx) {
      const segments = ctx.exchange.path.split('/').slice(2);
      for (const segment of segments) if (segment !== 'versions') modelName(segment);
      throw new GraphPipeError(
        'NOT_FOUND',
        `no route for ${ctx.exchange.method} ${ctx.exchange.path}; use /models/<name>[/versions/<version>]`,
      );
    },
  };
  table.add('GET', '/models/*', malformed);
  table.add('POST', '/models/*', malformed);
  table.add('GET', '/', metadata(byDefault));
  table.add('POST', '*', run(byDefault));
}

/**
 * A small answer is encoded into one buffer at once (one allocation, one write); a large one as
 * the encoder's chunks around the outputs' own memory, written uncopied.
 */
function encodeAnswer(outputs: readonly Tensor[]): Uint8Array | Uint8Array[] {
  let payload = 0;
  for (const t of outputs) payload += byteLength(t);
  if (payload >= JOIN_BELOW_BYTES) return encodeInferResponseChunks({ outputs });
  return writeSmall((into) => encodeInferResponse({ outputs }, { into }));
}

const boolInputs = new WeakMap<ServedModel, string | undefined>();

/**
 * GraphPipe's wire has no bool type: a model taking a bool input cannot be fed over it. (Bool
 * outputs travel as uint8.) Looked up once per model version.
 */
function refuseBoolInputs(model: ServedModel): void {
  if (!boolInputs.has(model)) {
    boolInputs.set(model, model.metadata.inputs.find((spec) => spec.dtype === 'bool')?.name);
  }
  const name = boolInputs.get(model);
  if (name === undefined) return;
  throw new GraphPipeError(
    'INVALID_ARGUMENT',
    `model "${model.name}" takes the bool input "${name}", which GraphPipe cannot carry; call it over the Open Inference Protocol (POST /v2/models/${model.name}/infer)`,
  );
}

/** GET /models: every model the server knows of, its versions and their states. */
function listModels(models: ModelRegistry) {
  const byName = new Map<string, { version: string; state: string; reason?: string }[]>();
  for (const { name, version, state, reason } of models.status()) {
    const versions = byName.get(name) ?? [];
    versions.push({ version, state, ...(reason === undefined ? {} : { reason }) });
    byName.set(name, versions);
  }
  return [...byName].map(([name, versions]) => ({ name, versions }));
}
