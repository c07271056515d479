import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';

export type CorsOptions = NonNullable<Parameters<typeof cors>[0]>;

export interface CorsSetup {
  /** Middleware for the routes it must run on ('*' or only GET/OPTIONS), if any. */
  readonly middleware: MiddlewareHandler | undefined;
  /** Whether the middleware runs on POST too (custom options), or POST answers carry `headers`. */
  readonly onPost: boolean;
  /** Headers for POST answers when the middleware does not run there. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * CORS so browser apps can call models directly. With the default (any origin) the answer to
 * a POST needs one fixed header, so POST skips the middleware: it rebuilds every response it
 * touches, which costs a full copy of large answers. Custom options get hono's middleware
 * everywhere, at that cost.
 */
export function corsSetup(option: boolean | CorsOptions | undefined): CorsSetup {
  if (option === false) return { middleware: undefined, onPost: false, headers: {} };
  if (option === true || option === undefined) {
    return {
      middleware: cors({ origin: '*', maxAge: 600 }),
      onPost: false,
      headers: { 'access-control-allow-origin': '*' },
    };
  }
  return { middleware: cors(option), onPost: true, headers: {} };
}
