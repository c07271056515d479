import { type DecodeLimits, decodeRequest, encodeInferResponseChunks } from '@graphpipe/protocol';
import type { RequestContext } from './context.js';
import { binaryReply, jsonReply } from './exchange.js';
import type { ModelRegistry } from './registry.js';
import { resolveRequest } from './resolve.js';
import type { Route, RouteTable } from './routes.js';

/**
 * GraphPipe over HTTP, as the original servers answer it: a Request buffer POSTed to any path
 * (the original clients post to the URL they were given, whatever its path and Content-Type),
 * and the metadata as JSON for a GET of the root.
 */
export function addGraphPipeRoutes(table: RouteTable, models: ModelRegistry, decodeLimits: DecodeLimits): void {
  const post: Route = {
    protocol: 'graphpipe',
    async handle(ctx: RequestContext) {
      const model = models.default();
      const req = decodeRequest(await ctx.readBody({ shared: model.backend.sharedInputs }), decodeLimits);
      ctx.kind = req.kind;
      ctx.model = model.name;
      if (req.kind === 'metadata') return binaryReply(model.metadataBytes);
      const { inputs, outputNames } = resolveRequest(req, model.signature);
      const outputs = await model.infer(inputs, outputNames, {
        config: req.config,
        // Made only if something reads it: most answers come before it is needed.
        get signal() {
          return ctx.signal;
        },
      });
      return binaryReply(encodeInferResponseChunks({ outputs }));
    },
  };
  const metadata: Route = {
    protocol: 'graphpipe',
    handle(ctx) {
      const model = models.default();
      ctx.kind = 'metadata';
      ctx.model = model.name;
      return jsonReply(model.metadataText);
    },
  };
  table.add('GET', '/', metadata);
  table.add('POST', '*', post);
}
