/** gRPC model URLs: grpc://host:port/models/<name>[/versions/<v>], grpcs:// for TLS. */

/** Where a gRPC model lives: host and port, TLS or not, the model's name and version. */
export interface GrpcTarget {
  readonly address: string;
  readonly tls: boolean;
  readonly model: string;
  readonly version: string | undefined;
}

const MODEL_PATH = /^\/(?:v2\/)?models\/([^/?#]+)(?:\/versions\/([^/?#]+))?\/?$/;

/** Whether a URL is a gRPC one: grpc://host:port[/models/<name>[/versions/<v>]], or grpcs:// for TLS. */
export function isGrpcUrl(url: string): boolean {
  return /^grpcs?:\/\//i.test(url);
}

/** The target of a grpc:// URL; `model` and `version` given as options win over the URL's. */
export function grpcTarget(url: string, model: string | undefined, version: string | undefined): GrpcTarget {
  const parsed = new URL(url);
  const m = MODEL_PATH.exec(parsed.pathname);
  if (!m && parsed.pathname !== '/' && parsed.pathname !== '') {
    throw new TypeError(`a gRPC URL is grpc://host:port/models/<name>[/versions/<version>], not ${url}`);
  }
  const name = model ?? (m ? decodeURIComponent(m[1]!) : undefined);
  if (name === undefined) {
    throw new TypeError(`gRPC needs a model: give the model option, or a URL such as ${parsed.origin}/models/<name>`);
  }
  return {
    // Without a port, Triton's.
    address: parsed.port ? parsed.host : `${parsed.hostname}:8001`,
    tls: parsed.protocol === 'grpcs:',
    model: name,
    version: version ?? (m?.[2] === undefined ? undefined : decodeURIComponent(m[2])),
  };
}
