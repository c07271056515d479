import { GraphPipeError } from '@graphpipe/protocol';

/** Who may use a route: anyone (probes, metrics), callers of models, or administrators. */
export type Access = 'open' | 'models' | 'admin';

export interface Tokens {
  /** Required of callers of models (inference and metadata) when set. */
  readonly models?: string;
  /** Required of administrators; without one the administration routes are off. */
  readonly admin?: string;
}

/**
 * Why a request may not use a route with this access, or undefined when it may. The
 * Authorization header is read only when a token is needed.
 */
export function accessDenied(
  access: Access,
  request: { header(name: string): string | undefined },
  tokens: Tokens,
): GraphPipeError | undefined {
  if (access === 'open') return undefined;
  const token = access === 'admin' ? tokens.admin : tokens.models;
  if (token === undefined) {
    if (access === 'models') return undefined;
    return new GraphPipeError(
      'FORBIDDEN',
      'model administration is off; start the server with an admin token (--admin-token or GRAPHPIPE_ADMIN_TOKEN)',
    );
  }
  const given = /^Bearer\s+(\S+)\s*$/i.exec(request.header('authorization') ?? '')?.[1];
  if (given === undefined) {
    return new GraphPipeError(
      'UNAUTHENTICATED',
      `this ${routeKind(access)} needs an Authorization: Bearer <token> header`,
    );
  }
  if (!sameSecret(given, token)) return new GraphPipeError('FORBIDDEN', `wrong token for this ${routeKind(access)}`);
  return undefined;
}

const routeKind = (access: Access) => (access === 'admin' ? 'administration route' : 'model');

const utf8 = new TextEncoder();

/**
 * Compares a token with the secret in time that depends only on the secret's length, so timing
 * tells a caller nothing about how much of a guess was right.
 */
export function sameSecret(given: string, secret: string): boolean {
  const a = utf8.encode(given);
  const b = utf8.encode(secret);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i]!;
  return diff === 0;
}
