import { GraphPipeError, messageOf } from '@graphpipe/protocol';

/**
 * HTTP content codings the server reads and writes (Triton's: `tritonclient`'s
 * request_compression_algorithm and response_compression_algorithm). 'deflate' is the zlib
 * format (RFC 1950), as HTTP, zlib.compress and DecompressionStream('deflate') mean it.
 */
export type Coding = 'gzip' | 'deflate';

/**
 * The coding of a request body from its Content-Encoding: undefined for none or `identity`,
 * 415 for anything the server cannot inflate.
 */
export function requestCoding(header: string | undefined): Coding | undefined {
  if (header === undefined) return undefined;
  const coding = header.trim().toLowerCase();
  if (coding === '' || coding === 'identity') return undefined;
  if (coding === 'gzip' || coding === 'x-gzip') return 'gzip';
  if (coding === 'deflate') return 'deflate';
  throw new GraphPipeError(
    'INVALID_ARGUMENT',
    `Content-Encoding "${header}" is not supported; send the body as gzip, deflate or uncompressed`,
    { status: 415 },
  );
}

/**
 * The coding to answer in, from the caller's Accept-Encoding: gzip or deflate when it asks for
 * one (gzip when both, or `*`, are as welcome), else undefined for an uncompressed answer.
 */
export function answerCoding(header: string | undefined): Coding | undefined {
  if (!header) return undefined;
  let best: Coding | undefined;
  let bestQ = 0;
  let anyQ = 0;
  let refused = '';
  for (const item of header.split(',')) {
    const [name = '', ...params] = item.split(';');
    const coding = name.trim().toLowerCase();
    const q = qualityOf(params);
    if (coding === '*') anyQ = q;
    else if (coding !== 'gzip' && coding !== 'deflate') continue;
    else if (q === 0) refused += coding;
    // Ties go to gzip: every client that asks for deflate takes gzip too when it lists both.
    else if (q > bestQ || (q === bestQ && coding === 'gzip')) {
      best = coding;
      bestQ = q;
    }
  }
  if (best) return best;
  if (anyQ > 0 && !refused.includes('gzip')) return 'gzip';
  return undefined;
}

/** An Accept-Encoding item's `q=` weight; 1 without one. */
function qualityOf(params: readonly string[]): number {
  for (const p of params) {
    const [key, value] = p.split('=');
    if (key?.trim().toLowerCase() === 'q') {
      const q = Number(value);
      return Number.isFinite(q) ? q : 0;
    }
  }
  return 1;
}

/** A body that does not inflate: the client's fault (400), not a broken upload. */
export function corruptBody(coding: Coding, err: unknown): GraphPipeError {
  const reason = messageOf(err);
  return new GraphPipeError(
    'INVALID_MESSAGE',
    `request body is not valid ${coding} data (${reason}); send it as its Content-Encoding says`,
    { cause: err },
  );
}
