/**
 * gRPC over HTTP/2, as its specification (PROTOCOL-HTTP2.md) has it, for the server's side: a
 * call is a POST of content-type application/grpc to /package.Service/Method; each message is
 * framed by a flag byte (compressed or not) and its length (4 bytes, big-endian); the status
 * goes in the trailers, or in the headers alone ("trailers-only") when there is no answer.
 */
import type { ServerHttp2Stream } from 'node:http2';
import { constants } from 'node:http2';

/** The length of a message's prefix: the compressed flag and the length. */
export const PREFIX_BYTES = 5;

/** The request message codings we inflate (grpc-encoding), as grpc-accept-encoding says. */
export const ACCEPT_ENCODING = 'identity,deflate,gzip';

/** Whether a content-type is gRPC's: application/grpc, alone or with a +format or parameters. */
export function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined || !value.startsWith('application/grpc')) return false;
  const next = value.charCodeAt(16);
  return Number.isNaN(next) || next === 0x2b /* + */ || next === 0x3b /* ; */;
}

/** Writes the prefix of an uncompressed message of `length` bytes at the start of `into`. */
export function writePrefix(into: Uint8Array, length: number): void {
  into[0] = 0;
  into[1] = length >>> 24;
  into[2] = (length >>> 16) & 0xff;
  into[3] = (length >>> 8) & 0xff;
  into[4] = length & 0xff;
}

/** A status and its one-line message, and metadata for the trailers. */
export interface GrpcFailure {
  readonly code: number;
  readonly details: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** The headers every answer opens with (frozen and shared: Node copies what it is given). */
export const ANSWER_HEADERS = Object.freeze({
  ':status': '200',
  'content-type': 'application/grpc',
  'grpc-accept-encoding': ACCEPT_ENCODING,
});

/** The trailers of a call answered in full. */
export const OK_TRAILERS = Object.freeze({ 'grpc-status': '0' });

/** The trailers (or, with `answerHeaders`, the only headers) of a failed call. */
export function failureTrailers(failure: GrpcFailure): Record<string, string> {
  return { ...failure.metadata, 'grpc-status': String(failure.code), 'grpc-message': percentEncoded(failure.details) };
}

/**
 * Answers a call with its status alone, in one HEADERS frame ("trailers-only"), and asks the
 * caller to stop sending whatever is left of its request (RST_STREAM NO_ERROR, sent by Node
 * once the answer is out). Calls `done` once the stream has closed.
 */
export function answerStatus(stream: ServerHttp2Stream, failure: GrpcFailure, done?: () => void): void {
  // A destroyed stream's 'close' may have gone already: `done` at once, and only then.
  if (stream.destroyed) {
    done?.();
    return;
  }
  if (done) stream.on('close', done);
  if (stream.closed) return;
  // An answer already under way (a stream's) can only be broken off.
  if (stream.headersSent) {
    stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return;
  }
  stream.respond({ ...ANSWER_HEADERS, ...failureTrailers(failure) }, { endStream: true });
  if (!stream.readableEnded) stream.close(constants.NGHTTP2_NO_ERROR);
}

/**
 * grpc-message's encoding: UTF-8, with every byte outside printable ASCII, and '%' itself, as
 * %XX. Our messages are ASCII as a rule, so the common case returns the text as it is.
 */
export function percentEncoded(text: string): string {
  if (!/[^\x20-\x24\x26-\x7e]/.test(text)) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
