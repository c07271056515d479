import { ERROR_CODE_HEADER, GraphPipeError, isGraphPipeError } from '@graphpipe/protocol';

/** Any thrown value as a GraphPipeError; what is not one already is the server's own fault. */
export function asGraphPipeError(err: unknown): GraphPipeError {
  if (isGraphPipeError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new GraphPipeError('INTERNAL', `internal error: ${message}`, { cause: err });
}

/** The one place errors become HTTP: the code's status, its headers and a one-line message. */
export function errorParts(error: GraphPipeError, extraHeaders: Readonly<Record<string, string>> = {}) {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=utf-8',
    [ERROR_CODE_HEADER]: error.code,
    ...extraHeaders,
  };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  return { status: error.status, headers, text: `${error.message.replace(/\s*\n\s*/g, ' ')}\n` };
}

/** An error as a web Response (see errorParts). */
export function errorResponse(error: GraphPipeError, extraHeaders: Readonly<Record<string, string>> = {}): Response {
  const { status, headers, text } = errorParts(error, extraHeaders);
  return new Response(text, { status, headers });
}
