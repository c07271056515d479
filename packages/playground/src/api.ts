/** The page's calls to the server that serves it: the model list, labels, examples, and a client per model. */
import { type GraphPipeError, isGraphPipeError, RemoteModel, type Tensor, tensorFromJson } from '@graphpipe/client';

export interface VersionEntry {
  readonly version: string;
  readonly state: string;
  readonly reason?: string;
}

export interface ModelEntry {
  readonly name: string;
  readonly versions: readonly VersionEntry[];
}

/** A failed call, with the server's own one-line message. */
export class ServerError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
  /** The server wants a token, or another one. */
  get needsToken(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** The server's address: the page's own, less a trailing /ui. */
export function serverBase(href: string): URL {
  const url = new URL(href);
  url.pathname = url.pathname.replace(/\/ui\/?$/, '/').replace(/[^/]*$/, '');
  url.search = '';
  url.hash = '';
  return url;
}

/** A model's path under the server: models/{name}[/versions/{version}]. */
export function modelPath(name: string, version?: string): string {
  const path = `models/${encodeURIComponent(name)}`;
  return version === undefined ? path : `${path}/versions/${encodeURIComponent(version)}`;
}

export class Server {
  /** The token the user gave; kept in this object only, never stored. */
  token: string | undefined;

  constructor(readonly base: URL) {}

  url(path: string): string {
    return new URL(path, this.base).href;
  }

  headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** A client for one model, over GraphPipe's binary protocol. */
  client(name: string, version?: string): RemoteModel {
    return new RemoteModel(this.url(modelPath(name, version)), { headers: this.headers(), retries: 0 });
  }

  models(): Promise<ModelEntry[]> {
    return this.json('models');
  }

  /** The class names from the model's JSON metadata, when it has them. */
  async labels(name: string, version?: string): Promise<string[] | undefined> {
    return (await this.json<{ Labels?: string[] }>(modelPath(name, version))).Labels;
  }

  async examples(name: string, version?: string): Promise<Record<string, Tensor>> {
    const json = await this.json<Record<string, unknown>>(`${modelPath(name, version)}/examples`);
    return Object.fromEntries(Object.entries(json).map(([input, value]) => [input, tensorFromJson(value)]));
  }

  /** Whether the server speaks the Open Inference Protocol v2 (for the curl snippet). */
  async speaksV2(): Promise<boolean> {
    try {
      const answer = await fetch(this.url('v2'), { headers: this.headers() });
      return answer.ok && typeof (await answer.json())?.name === 'string';
    } catch {
      return false;
    }
  }

  private async json<T>(path: string): Promise<T> {
    let answer: Response;
    try {
      answer = await fetch(this.url(path), { headers: this.headers() });
    } catch (err) {
      throw new ServerError(`cannot reach the server: ${(err as Error).message}`, 0);
    }
    if (!answer.ok) {
      const text = (await answer.text()).trim().split('\n')[0];
      throw new ServerError(text || `${answer.status} ${answer.statusText}`, answer.status);
    }
    return (await answer.json()) as T;
  }
}

/** Any failure as the server's one-line message and status (the client prefixes the URL). */
export function asServerError(err: unknown): ServerError {
  if (err instanceof ServerError) return err;
  if (isGraphPipeError(err)) {
    const error = err as GraphPipeError;
    const message = /answered \d+: (.*)$/s.exec(error.message)?.[1] ?? error.message;
    return new ServerError(message, error.status);
  }
  return new ServerError((err as Error)?.message ?? String(err), 0);
}
