import { GraphPipeError } from '@graphpipe/protocol';
import type { RequestContext, Route } from '../http/context.js';
import { jsonErrorReply } from '../http/errors.js';
import { jsonReply, type Reply } from '../http/exchange.js';
import type { RouteTable } from '../http/routes.js';
import { modelName } from '../models/names.js';

/** What the admin routes ask of a repository; ModelRepository is one. */
export interface RepositoryAdmin {
  /** Every model known or on disk, as OIP v2's repository index lists them. */
  index(options: { ready?: boolean }): Promise<readonly unknown[]>;
  /** Loads or unloads a model by name. */
  administer(change: { readonly action: 'load' | 'unload'; readonly name: string }): Promise<void>;
}

const DONE: Reply = { status: 200, headers: {}, body: '' };

/**
 * The Open Inference Protocol's model repository extension, for administrators only (the admin
 * token): the index, and load or unload by name. A name is looked up among the repository's
 * models, never joined to a path; one that could mean a path is refused before anything else.
 */
export function addRepositoryRoutes(table: RouteTable, repository: RepositoryAdmin): void {
  const admin = (kind: string, handle: (ctx: RequestContext) => Promise<Reply>): Route => ({
    protocol: 'v2',
    access: 'admin',
    errorReply: jsonErrorReply,
    handle(ctx) {
      ctx.kind = kind;
      return handle(ctx);
    },
  });

  table.add(
    'POST',
    '/v2/repository/index',
    admin('repository-index', async (ctx) => {
      const { ready } = await jsonBody(ctx, ['ready']);
      if (ready !== undefined && typeof ready !== 'boolean') throw invalid('"ready" must be true or false');
      return jsonReply(JSON.stringify(await repository.index({ ready: ready === true })));
    }),
  );
  /** Load or unload by name; `ignored`: parameters Triton's clients may send that mean nothing here. */
  const byName = (action: 'load' | 'unload', ignored: readonly string[]) =>
    admin(`repository-${action}`, async (ctx) => {
      const name = modelName(ctx.params.name!);
      noParameters(await jsonBody(ctx, ['parameters']), ignored);
      try {
        await repository.administer({ action, name });
      } catch (err) {
        // A made-up name never labels metrics (they would grow without bound); a known one does,
        // even when its load failed.
        if ((err as GraphPipeError).code !== 'NOT_FOUND') ctx.model = name;
        throw err;
      }
      ctx.model = name;
      return DONE;
    });
  table.add('POST', '/v2/repository/models/:name/load', byName('load', []));
  // Triton's clients may ask to unload dependents; no model here depends on another.
  table.add('POST', '/v2/repository/models/:name/unload', byName('unload', ['unload_dependents']));
  // Anything else under /v2/repository: a name that could mean a path is refused as such.
  table.add(
    'POST',
    '/v2/repository/*',
    admin('repository', async (ctx) => {
      const segments = ctx.exchange.path.split('/').slice(3);
      for (const segment of segments) modelName(segment);
      throw new GraphPipeError(
        'NOT_FOUND',
        `no route for POST ${ctx.exchange.path}; use /v2/repository/index or /v2/repository/models/<name>/load or /unload`,
      );
    }),
  );
}

/** The body as a JSON object (empty: {}), with no keys but `allowed`. */
async function jsonBody(ctx: RequestContext, allowed: readonly string[]): Promise<Record<string, unknown>> {
  const text = new TextDecoder().decode(await ctx.readBody()).trim();
  if (text === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid('the body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the body must be a JSON object');
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key))
      throw invalid(`unknown field "${key}"${allowed.length ? `; expected ${allowed.join(', ')}` : ''}`);
  }
  return body as Record<string, unknown>;
}

/** Load parameters (a config or files sent with the request) are refused: models come from the directory. */
function noParameters(body: Record<string, unknown>, ignored: readonly string[]): void {
  const { parameters } = body;
  if (parameters === undefined) return;
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters))
    throw invalid('"parameters" must be a JSON object');
  const unsupported = Object.keys(parameters).filter((key) => !ignored.includes(key));
  if (unsupported.length > 0) {
    throw invalid(
      `parameters ${unsupported.map((k) => `"${k}"`).join(', ')} are not supported: models and their configs come from the repository directory`,
    );
  }
}

const invalid = (message: string) => new GraphPipeError('INVALID_ARGUMENT', message);
