/**
 * Compressed requests and answers, with the web platform's CompressionStream (Node, Bun, Deno,
 * browsers and Workers all have it). Every runtime's fetch inflates a compressed answer itself.
 */

/** HTTP content codings a GraphPipe or Triton server takes and gives: 'deflate' is the zlib format. */
export type Compression = 'gzip' | 'deflate';

/** A request body compressed once, before the first attempt, so retries resend the same bytes. */
export async function compressBody(chunks: readonly Uint8Array[], coding: Compression): Promise<Uint8Array> {
  const plain = new Blob(chunks as Uint8Array<ArrayBuffer>[]).stream();
  const zipped = plain.pipeThrough(new CompressionStream(coding) as unknown as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(zipped).arrayBuffer());
}

/**
 * The Accept-Encoding a call sends: gzip when compression is on (whichever coding the requests
 * use: every runtime's fetch inflates gzip, while Deno's hands a deflate answer over as it came),
 * else `identity`. Node's fetch asks for gzip by itself otherwise, and a server that obliges
 * spends time compressing tensors that the client then spends time inflating. (Browsers set the
 * header themselves and ignore this one.)
 */
export function acceptEncoding(coding: Compression | undefined): string {
  return coding === undefined ? 'identity' : 'gzip';
}
