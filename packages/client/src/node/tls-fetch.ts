import { Agent, fetch as undiciFetch } from 'undici';

/** PEM certificates, as Node's TLS takes them. */
export type Certificates = string | Uint8Array | readonly (string | Uint8Array)[];

export interface TlsFetchOptions {
  /**
   * The certificate authorities to trust, in place of Node's bundled ones (as curl's --cacert):
   * a private CA, or a server's self-signed certificate. To keep trusting the public ones too,
   * add `...tls.rootCertificates` (from `node:tls`).
   */
  readonly ca: Certificates;
}

/**
 * A fetch for `RemoteModelOptions.fetch` that trusts the certificate authorities given, for a
 * server whose certificate a public authority did not sign. Node only: in a browser, the system
 * decides whom to trust.
 *
 *     const model = new RemoteModel('https://models.internal:9000', { fetch: createTlsFetch({ ca }) });
 */
export function createTlsFetch({ ca }: TlsFetchOptions): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: ca as string | Buffer | (string | Buffer)[] } });
  // undici's own fetch, so the agent and the fetch are the same undici whatever Node bundles.
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher })) as unknown as typeof fetch;
}
