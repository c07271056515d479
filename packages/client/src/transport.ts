import {
  codeFromStatus,
  ERROR_CODE_HEADER,
  GraphPipeError,
  type GraphPipeErrorCode,
  grpcTimeout,
  isErrorCode,
  isGraphPipeError,
  messageOf,
  TIMEOUT_HEADER,
} from '@graphpipe/protocol';
import { outgoingBody, readAll } from './body.js';
import { acceptEncoding, type Compression, compressBody } from './compression.js';
import { hasTimeoutHeader } from './timeout-header.js';
import { traceHeaders } from './trace-headers.js';

/** One HTTP request, as a Transport sends it. */
export interface TransportRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  /** The body's pieces, in order (the caller's own tensor memory among them): a POST's. */
  readonly chunks?: readonly Uint8Array[];
  readonly signal?: AbortSignal;
}

/** An answer's status and headers, and its body read once, either way. */
export interface Answer {
  readonly status: number;
  readonly statusText: string;
  header(name: string): string | null;
  text(): Promise<string>;
  /**
   * The whole body in one Uint8Array: in `into` when it fits, else in fresh memory; the byte at
   * `alignAt` 8-aligned (where binary tensors start), so tensors decode as views of it.
   */
  bytes(alignAt: number, into?: Uint8Array): Promise<Uint8Array>;
}

/**
 * How requests go out: the runtime's fetch by default (any runtime), or node:http from
 * `@graphpipe/client/node` (nodeHttpTransport: no copy of the answer beyond the socket's). It
 * rejects for a request that got no answer; an HTTP error status is an answer.
 */
export type Transport = (url: string, request: TransportRequest) => Promise<Answer>;

/** The transport over a fetch (the global one, or a caller's). */
export function fetchTransport(fetchAlone: typeof fetch, streamUploads: boolean): Transport {
  return async (url, { method, headers, chunks, signal }) => {
    const {
      body,
      headers: bodyHeaders,
      duplex,
    } = chunks ? outgoingBody(chunks, streamUploads) : { body: undefined, headers: {}, duplex: undefined };
    // fetch is called on its own, never as options.fetch(…): browsers refuse fetch called as a
    // method of another object ("Illegal invocation").
    const response = await fetchAlone(url, {
      method,
      body,
      headers: { ...headers, ...bodyHeaders },
      signal,
      ...(duplex ? { duplex } : {}),
    } as RequestInit);
    return {
      status: response.status,
      statusText: response.statusText,
      header: (name) => response.headers.get(name),
      text: () => response.text(),
      bytes: (alignAt, into) => readAll(response, alignAt, into),
    };
  };
}

export interface PostOptions {
  /** How requests go out; when absent, `fetch`. */
  readonly transport?: Transport;
  readonly fetch: typeof fetch;
  readonly headers: Readonly<Record<string, string>>;
  /** The call's signal, its deadline included (see callSignal). */
  readonly signal?: AbortSignal;
  /** The call's time limit, for the message when it passes. */
  readonly timeoutMs?: number;
  /**
   * When the call's time runs out, as a performance.now() time: the server is told the time left
   * (grpc-timeout, unless `headers` set one), so it stops work nobody will wait for.
   */
  readonly deadline?: number;
  /** Extra attempts when the connection is refused (nothing was sent, so a retry is safe). */
  readonly retries: number;
  /** Send large bodies as a stream of their chunks instead of joining them first. */
  readonly streamUploads: boolean;
  /** Compress request bodies so, and ask for answers so; without it, ask for them uncompressed. */
  readonly compression?: Compression;
}

/**
 * POSTs one GraphPipe message (as the encoder's chunks) and returns the response bytes (in `into`
 * when they fit), turning every failure into a GraphPipeError: HTTP errors keep their status, the
 * server's message and the code it named.
 */
export function post(
  url: string,
  chunks: readonly Uint8Array[],
  options: PostOptions,
  into?: Uint8Array,
): Promise<Uint8Array> {
  return send(url, { chunks, contentType: 'application/octet-stream' }, options, (answer) => answer.bytes(0, into));
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
  read: (answer: Answer) => Promise<T>,
): Promise<T> {
  const { signal, compression } = options;
  const transport = options.transport ?? fetchTransport(options.fetch, options.streamUploads);
  const zipped = outgoing.chunks && compression ? [await compressBody(outgoing.chunks, compression)] : undefined;
  const chunks = zipped ?? outgoing.chunks;
  for (let attempt = 0; ; attempt++) {
    let response: Answer;
    try {
      response = await transport(url, {
        method: chunks ? 'POST' : 'GET',
        chunks,
        headers: {
          ...(outgoing.contentType ? { 'content-type': outgoing.contentType } : {}),
          ...(zipped ? { 'content-encoding': compression } : {}),
          'accept-encoding': acceptEncoding(compression),
          ...traceHeaders(),
          ...timeLeft(options),
          ...outgoing.headers,
          ...options.headers,
        },
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw abortError(signal, options.timeoutMs, url, err);
      if (attempt < options.retries && connectionRefused(err)) {
        await sleep(100 * 2 ** attempt, signal);
        continue;
      }
      throw new GraphPipeError('NETWORK', `cannot reach ${url}: ${describe(err)}`, { cause: err });
    }
    try {
      if (response.status < 200 || response.status > 299) {
        const text = errorMessage(await response.text()) || response.statusText;
        const retryAfter = Number(response.header('retry-after') ?? NaN);
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

/** The call's time left as a header, measured as each attempt goes out; none when the caller set their own. */
function timeLeft({ deadline, headers }: PostOptions): Record<string, string> | undefined {
  if (deadline === undefined || hasTimeoutHeader(headers)) return undefined;
  return { [TIMEOUT_HEADER]: grpcTimeout(deadline - performance.now()) };
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
function errorCode(response: Answer): GraphPipeErrorCode {
  const named = response.header(ERROR_CODE_HEADER);
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
  // fetch puts TLS failures in the cause; node:http's error is the TLS failure itself.
  const certificate = [causeCode, code].find((c) => c !== undefined && /CERT|UNABLE_TO_VERIFY/.test(c));
  if (certificate !== undefined) {
    return `${certificate}: the server's certificate is not trusted; trust its CA with createTlsFetch({ ca }) or nodeHttpTransport({ ca }) from @graphpipe/client/node (the CLI: --ca <file>)`;
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
