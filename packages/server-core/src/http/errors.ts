import { ERROR_CODE_HEADER, GraphPipeError, isGraphPipeError, messageOf } from '@graphpipe/protocol';
import type { Reply } from './exchange.js';

/** Any thrown value as a GraphPipeError; what is not one already is the server's own fault. */
export function asGraphPipeError(err: unknown): GraphPipeError {
  if (isGraphPipeError(err)) return err;
  return new GraphPipeError('INTERNAL', `internal error: ${messageOf(err)}`, { cause: err });
}

/** The headers every error answer carries: its code, and when to retry. */
export function errorHeaders(error: GraphPipeError, contentType: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType, [ERROR_CODE_HEADER]: error.code };
  if (error.retryAfter !== undefined) headers['retry-after'] = String(error.retryAfter);
  if (error.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer';
  return headers;
}

/** The message on one line, as every error answer carries it. */
export function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}

/** GraphPipe's error answer: the code's status and the message as one text line. */
export function errorReply(error: GraphPipeError): Reply {
  return {
    status: error.status,
    headers: errorHeaders(error, 'text/plain; charset=utf-8'),
    body: `${oneLine(error.message)}\n`,
  };
}

/** The Open Inference Protocol's error answer: the code's status and `{"error": "<one line>"}`. */
export function jsonErrorReply(error: GraphPipeError): Reply {
  return {
    status: error.status,
    headers: errorHeaders(error, 'application/json'),
    body: JSON.stringify({ error: oneLine(error.message) }),
  };
}

export const SHUTTING_DOWN = (): GraphPipeError =>
  new GraphPipeError('UNAVAILABLE', 'server is shutting down; retry on another instance', { retryAfter: 1 });
