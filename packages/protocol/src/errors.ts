/**
 * One error type for the whole project. `code` says what went wrong; the HTTP status that a
 * server answers with follows from the code alone (see STATUS_BY_CODE), and the client maps
 * statuses back to the same codes.
 */

export type GraphPipeErrorCode =
  /** The bytes are not a valid GraphPipe message. */
  | 'INVALID_MESSAGE'
  /** A well-formed request the model cannot take: unknown name, wrong dtype, shape or size. */
  | 'INVALID_ARGUMENT'
  /** The body or a tensor is larger than the configured limits. */
  | 'PAYLOAD_TOO_LARGE'
  /** The request body did not arrive in time. */
  | 'REQUEST_TIMEOUT'
  /** No such route or model. */
  | 'NOT_FOUND'
  /** The request carries no credentials where they are required. */
  | 'UNAUTHENTICATED'
  /** The credentials are wrong, or the operation is turned off. */
  | 'FORBIDDEN'
  /** The server is overloaded, draining or not ready; try again later. */
  | 'UNAVAILABLE'
  /** A model served elsewhere (a remote or pipeline stage) failed or could not be reached. */
  | 'UPSTREAM'
  /** The deadline passed before an answer came. */
  | 'DEADLINE_EXCEEDED'
  /** The caller aborted. */
  | 'ABORTED'
  /** The network failed before an answer came (client side). */
  | 'NETWORK'
  /** A fault of the server or the model itself. */
  | 'INTERNAL';

export const STATUS_BY_CODE: Readonly<Record<GraphPipeErrorCode, number>> = {
  INVALID_MESSAGE: 400,
  INVALID_ARGUMENT: 400,
  PAYLOAD_TOO_LARGE: 413,
  REQUEST_TIMEOUT: 408,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  UNAVAILABLE: 503,
  UPSTREAM: 502,
  DEADLINE_EXCEEDED: 504,
  ABORTED: 499,
  NETWORK: 503,
  INTERNAL: 500,
};

/**
 * The response header in which a server names an error's code, so that a client can tell,
 * say, INVALID_MESSAGE from INVALID_ARGUMENT (both 400) without parsing the message.
 */
export const ERROR_CODE_HEADER = 'graphpipe-error-code';

/** True for one of GraphPipeErrorCode's values (e.g. a header a server sent). */
export function isErrorCode(value: unknown): value is GraphPipeErrorCode {
  return typeof value === 'string' && Object.hasOwn(STATUS_BY_CODE, value);
}

/** The code a client reports for an HTTP error status it received, when the server did not name one. */
export function codeFromStatus(status: number): GraphPipeErrorCode {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 408:
      return 'REQUEST_TIMEOUT';
    case 413:
      return 'PAYLOAD_TOO_LARGE';
    case 502:
      return 'UPSTREAM';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return status >= 400 && status < 500 ? 'INVALID_ARGUMENT' : 'INTERNAL';
  }
}

export interface GraphPipeErrorOptions {
  /** The HTTP status, when it differs from the code's usual one (a client keeps what it received). */
  status?: number;
  cause?: unknown;
  /** Seconds after which a retry may succeed (503 answers carry it as Retry-After). */
  retryAfter?: number;
}

export class GraphPipeError extends Error {
  override readonly name = 'GraphPipeError';
  readonly code: GraphPipeErrorCode;
  readonly status: number;
  readonly retryAfter: number | undefined;

  constructor(code: GraphPipeErrorCode, message: string, options: GraphPipeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? STATUS_BY_CODE[code];
    this.retryAfter = options.retryAfter;
  }
}

/** The message of anything thrown: an Error's message, else the value as text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True for a GraphPipeError from any copy of this package (does not rely on instanceof). */
export function isGraphPipeError(value: unknown): value is GraphPipeError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'GraphPipeError' &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** Shorthand for the decoder's errors: the bytes themselves are malformed. */
export function invalidMessage(message: string): GraphPipeError {
  return new GraphPipeError('INVALID_MESSAGE', message);
}
