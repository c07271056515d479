import {
  codeFromStatus,
  ERROR_CODE_HEADER,
  GraphPipeError,
  type GraphPipeErrorCode,
  isErrorCode,
  isGraphPipeError,
  messageOf,
} from '@graphpipe/protocol';
import { outgoingBody, readAll } from './body.js';
import { acceptEncoding, type Compression, compressBody } from './compression.js';
import { traceHeaders } from './trace-headers.js';

export interface PostOptions {
  readonly fetch: typeof fetch;
  readonly headers: Readonly<Record<string, string>>;
  /** The call's signal, its deadline included (see callSignal). */
  readonly signal?: AbortSignal;
  /** The call's deadline, for the message when it passes. */
  readonly timeoutMs?: number;
  /** Extra attempts when the connection is refused (nothing was sent, so a retry is safe). */
  readonly retries: number;
  /** Send large bodies as a stream of their chunks instead of joining them first. */
  readonly streamUploads: boolean;
  /** Compress request bodies so, and ask for answers so; without it, ask for them uncompressed. */
  readonly compression?: Compression;
}

/**
 * POSTs one GraphPipe message (as the encoder's chunks) and returns the response bytes, turning
 * every failure into a GraphPipeError: HTTP errors keep their status, the server's message and the
 * code it named.
 */
export function post(url: string, chunks: readonly Uint8Array[], options: PostOptions): Promise<Uint8Array> {
  return send(url, { chunks, contentType: 'application/octet-stream' }, options, (response) => readAll(response));
}

/** What to send: a GET without `chunks`, else a POST of them. */
export interface Outgoing {
  readonly chunks?: readonly Uint8Array[];
  readonly contentType?: string;
  /** Headers of this request, under the caller's own (`options.headers`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * Sends one request and hands a successful answer to `read`, turning every failure into a
 * GraphPipeError as `post` does. Only refused connections are retried.
 */
export async function send<T>(
  url: string,
  outgoing: Outgoing,
  options: PostOptions,
  read: (response: Response) => Promise<T>,
): Promise<T> {
  // fetch is called on its own, never as options.fetch(…): browsers refuse fetch called as a method
  // of another object ("Illegal invocation").
  const { signal, fetch: fetchAlone, compression } = options;
  const zipped = outgoing.chunks && compression ? [await compressBody(outgoing.chunks, compression)] : undefined;
  const chunks = zipped ?? outgoing.chunks;
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      const { body, headers, duplex } = chunks
        ? outgoingBody(chunks, options.streamUploads)
        : { body: undefined, headers: {}, duplex: undefined };
      response = await fetchAlone(url, {
        method: chunks ? 'POST' : 'GET',
        body,
        headers: {
          ...(outgoing.contentType ? { 'content-type': outgoing.contentType } : {}),
          ...(zipped ? { 'content-encoding': compression } : {}),
          'accept-encoding': acceptEncoding(compression),
          ...traceHeaders(),
          ...outgoing.headers,
          ...headers,
          ...options.headers,
        },
        signal,
        ...(duplex ? { duplex } : {}),
      } as RequestInit);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal, options.timeoutMs, url, err);
      if (attempt < options.retries && connectionRefused(err)) {
        await sleep(100 * 2 ** attempt, signal);
        continue;
      }
      throw new GraphPipeError('NETWORK', `cannot reach ${url}: ${describe(err)}`, { cause: err });
    }
    try {
      if (!response.ok) {
        const text = errorMessage(await response.text()) || response.statusText;
        const retryAfter = Number(response.headers.get('retry-after') ?? NaN);
        throw new GraphPipeError(errorCode(response), `${url} answered ${response.status}: ${text}`, {
          status: response.status,
          retryAfter: Number.isFinite(retryAfter) ? retryAfter : undefined,
        });
      }
      return await read(response);
    } catch (err) {
      if (signal?.aborted) throw abortError(signal, options.timeoutMs, url, err);
      if (isGraphPipeError(err)) throw err;
      // The connection broke, or the answer did not match its Content-Length.
      throw new GraphPipeError('NETWORK', `reading the answer from ${url} failed: ${describe(err)}`, { cause: err });
    }
  }
}

/**
 * The one-line message of an error answer: the Open Inference Protocol's `{"error": "..."}`, or
 * the first line of a text body (GraphPipe's form, a proxy's page).
 */
function errorMessage(body: string): string {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const { error } = JSON.parse(text) as { error?: unknown };
      if (typeof error === 'string') return error.split('\n')[0]!;
    } catch {
      // Not JSON after all: the text itself.
    }
  }
  return text.split('\n')[0]!;
}

/**
 * The code the server named in its error header; servers that name none (the original ones, proxies)
 * leave the status to tell, and an unknown name is treated as none.
 */
function errorCode(response: Response): GraphPipeErrorCode {
  const named = response.headers.get(ERROR_CODE_HEADER);
  return isErrorCode(named) ? named : codeFromStatus(response.status);
}

/** One signal for a call: the caller's, and its deadline when it has one. */
export function callSignal(signal: AbortSignal | undefined, timeoutMs: number | undefined): AbortSignal | undefined {
  if (timeoutMs === undefined) return signal;
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

export function abortError(
  signal: AbortSignal,
  timeoutMs: number | undefined,
  url: string,
  cause: unknown,
): GraphPipeError {
  const reason = signal.reason as { name?: string } | undefined;
  if (reason?.name === 'TimeoutError') {
    const within = timeoutMs === undefined ? 'in time' : `within ${timeoutMs} ms`;
    return new GraphPipeError('DEADLINE_EXCEEDED', `${url} did not answer ${within}`, { cause });
  }
  return new GraphPipeError('ABORTED', `request to ${url} was aborted`, { cause });
}

type FetchFailure = { code?: string; cause?: { code?: string; message?: string } } | undefined;

/**
 * A refused connection as each runtime's fetch reports it: Node's in the cause's code, Bun's in
 * the error's own code, Deno's only in the cause's message. Browsers do not tell a refusal from
 * other failures, so there a failed fetch is not retried.
 */
function connectionRefused(err: unknown): boolean {
  const { code, cause } = (err ?? {}) as NonNullable<FetchFailure>;
  return code === 'ECONNREFUSED' || cause?.code === 'ECONNREFUSED' || /Connection refused/.test(cause?.message ?? '');
}

function describe(err: unknown): string {
  if (connectionRefused(err)) return 'ECONNREFUSED';
  const { code, cause } = (err ?? {}) as NonNullable<FetchFailure>;
  const causeCode = cause?.code;
  if (causeCode !== undefined && /CERT|UNABLE_TO_VERIFY/.test(causeCode)) {
    return `${causeCode}: the server's certificate is not trusted; trust its CA with createTlsFetch({ ca }) from @graphpipe/client/node (the CLI: --ca <file>)`;
  }
  return causeCode ?? cause?.message ?? code ?? messageOf(err);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** A decoded answer, or INVALID_MESSAGE saying the server's answer is not a `what` message. */
export function decodeAnswer<T>(decode: () => T, url: string, what: string): T {
  try {
    return decode();
  } catch (err) {
    throw new GraphPipeError(
      'INVALID_MESSAGE',
      `${url} sent an answer that is not ${what}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}
