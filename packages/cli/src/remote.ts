import { readFile } from 'node:fs/promises';
import { RemoteModel, type RemoteModelOptions } from '@graphpipe/client';
import { createTlsFetch } from '@graphpipe/client/node';

export interface RemoteOptions {
  /** A CA certificate file (PEM) to trust for https. */
  ca?: string;
  /** The server's token for models. */
  token?: string;
}

/** The options `info` and `infer` call a server with: a CA to trust, a token to send. */
export async function clientOptions({ ca, token }: RemoteOptions): Promise<RemoteModelOptions> {
  const options: RemoteModelOptions = {};
  if (ca !== undefined) {
    const pem = await readFile(ca, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read the CA certificate ${ca}: ${err.code ?? err.message}`);
    });
    options.fetch = createTlsFetch({ ca: pem });
    // grpcs:// URLs trust it too.
    options.ca = pem;
  }
  if (token) options.headers = { authorization: `Bearer ${token}` };
  return options;
}

export async function remoteModel(url: string, options: RemoteOptions): Promise<RemoteModel> {
  return new RemoteModel(url, await clientOptions(options));
}
