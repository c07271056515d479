import { GraphPipeError, isGraphPipeError, messageOf } from '@graphpipe/protocol';

/**
 * What a failed call to another GraphPipe server means for our own caller. The client's
 * messages already name the URL; the code decides the status we answer with:
 * the caller's mistakes (4xx) stay theirs, an unreachable or overloaded upstream is 503,
 * a deadline is 504, and anything else the upstream did wrong is 502.
 */
export function upstreamError(err: unknown, url: string): GraphPipeError {
  if (!isGraphPipeError(err)) {
    return new GraphPipeError('UPSTREAM', `${url} failed: ${messageOf(err)}`, {
      cause: err,
    });
  }
  const as = (code: ConstructorParameters<typeof GraphPipeError>[0]) =>
    new GraphPipeError(code, err.message, { cause: err, retryAfter: err.retryAfter });
  switch (err.code) {
    case 'ABORTED':
      return err;
    case 'NETWORK':
    case 'UNAVAILABLE':
      return as('UNAVAILABLE');
    case 'DEADLINE_EXCEEDED':
      return as('DEADLINE_EXCEEDED');
    case 'INVALID_MESSAGE':
      return couldNotReadAnswer(err) ? as('UPSTREAM') : as('INVALID_ARGUMENT');
    // No such route upstream: our URL is wrong, not the caller's request.
    case 'NOT_FOUND':
      return as('UPSTREAM');
    case 'PAYLOAD_TOO_LARGE':
      return as('PAYLOAD_TOO_LARGE');
  }
  return err.status >= 400 && err.status < 500 ? as('INVALID_ARGUMENT') : as('UPSTREAM');
}

/**
 * INVALID_MESSAGE has two sources. The client's decoder rejected the upstream's answer (the
 * decoder's error is the cause): the upstream's fault. Or the upstream answered 4xx naming it:
 * it could not read the request, which carries the caller's tensors (past its decode limits, say),
 * so it stays the caller's mistake.
 */
function couldNotReadAnswer(err: GraphPipeError): boolean {
  return isGraphPipeError(err.cause) && err.cause.code === 'INVALID_MESSAGE';
}
