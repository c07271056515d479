import { ERROR_CODE_HEADER } from '@graphpipe/protocol';
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

export type CorsOptions = NonNullable<Parameters<typeof cors>[0]>;

export interface CorsSetup {
  /** hono's cors middleware: for preflights only (`everywhere` false), or for every request. */
  readonly middleware: MiddlewareHandler | undefined;
  /** Custom options: every answer depends on the request's Origin, so every request needs the middleware. */
  readonly everywhere: boolean;
  /** Headers every other answer carries. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Browser code may read why a request failed and when to retry. */
const EXPOSED = [ERROR_CODE_HEADER, 'retry-after'];

/**
 * CORS so browser apps can call models directly. With the default (any origin) every answer
 * carries the same fixed headers, and only preflights need hono's middleware, which rebuilds
 * every response it touches (a full copy of a large answer). Custom options get the middleware
 * everywhere, at that cost.
 */
export function corsSetup(option: boolean | CorsOptions | undefined): CorsSetup {
  if (option === false) return { middleware: undefined, everywhere: false, headers: {} };
  if (option === true || option === undefined) {
    return {
      middleware: cors({ origin: '*', maxAge: 600, exposeHeaders: EXPOSED }),
      everywhere: false,
      headers: { 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED.join(', ') },
    };
  }
  return { middleware: cors({ exposeHeaders: EXPOSED, ...option }), everywhere: true, headers: {} };
}
