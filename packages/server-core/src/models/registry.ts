import { GraphPipeError } from '@graphpipe/protocol';
import type { Backend } from '../backend.js';
import type { ModelLimits } from './limits.js';
import { SERVER_NAME } from './metadata.js';
import { type ModelEvents, ServedModel } from './model.js';

/** A version's state, as OIP v2's repository index names them. */
export type ModelState = 'READY' | 'LOADING' | 'UNLOADING' | 'UNAVAILABLE';

export interface VersionStatus {
  readonly name: string;
  readonly version: string;
  readonly state: ModelState;
  /** Why it is UNAVAILABLE (a failed load), when it is. */
  readonly reason?: string;
}

/**
 * The models a server answers for: each name's versions in service, and the state of every
 * version it knows of. A request acquires the version it runs on and releases it when its answer
 * is out; a version replaced or taken out of service closes after its last request, so swapping
 * versions never fails a request in flight.
 */
export interface RegistryOptions extends ModelLimits {
  /** The metadata's `server` field. Default 'graphpipe-ts'. */
  readonly serverName?: string;
  /** The model for requests that name none. Default: the only model, when there is one. */
  readonly defaultModel?: string;
  /** Told about batches and cache lookups (metrics). */
  readonly events?: ModelEvents;
}

/** How one version is served: its name and version, and limits of its own. */
export interface ServeAs extends ModelLimits<false> {
  readonly name?: string;
  readonly version?: string;
}

export class ModelRegistry {
  private readonly serving = new Map<string, Map<string, ServedModel>>();
  private readonly known = new Map<string, Map<string, VersionStatus>>();
  /** Each name's latest version in service, worked out when its versions change, not per request. */
  private readonly latest = new Map<string, ServedModel>();
  private defaultName: string | undefined;
  /** Warm-ups `add` started and that have not finished. */
  private readonly warming = new Set<Promise<void>>();

  constructor(private readonly options: RegistryOptions = {}) {
    this.defaultName = options.defaultModel;
  }

  /**
   * Serves a backend (as a new version, or in place of the same version) with the registry's
   * defaults. One that warms up (`warmup`) is served once it has, in the background: its version
   * is LOADING meanwhile (see `load`, and `warmedUp` to wait for it).
   */
  add(backend: Backend, as: ServeAs = {}): ServedModel {
    const model = this.create(backend, as);
    if (model.warmup === 0) {
      this.serve(model);
      return model;
    }
    const warming = this.warmThenServe(model).catch((err: unknown) => {
      // Nobody else holds it: it closes here, and `warmedUp` reports why.
      model.retire().catch(() => {});
      throw err;
    });
    this.warming.add(warming);
    void warming.then(
      () => this.warming.delete(warming),
      () => this.warming.delete(warming),
    );
    return model;
  }

  /**
   * Serves a backend once it has warmed up (ServeAs.warmup, else the registry's default): its
   * version is LOADING until then, so readiness and the index say so. A failed warm-up marks the
   * version UNAVAILABLE with the reason (a version in service stays in service) and rejects; the
   * caller then closes the backend.
   */
  async load(backend: Backend, as: ServeAs = {}): Promise<ServedModel> {
    const model = this.create(backend, as);
    await this.warmThenServe(model);
    return model;
  }

  /** Whether a model `add` was given is still warming up (the server is not ready to serve it yet). */
  get warmingUp(): boolean {
    return this.warming.size > 0;
  }

  /** Resolves once the warm-ups `add` started have finished; rejects with the first that failed. */
  async warmedUp(): Promise<void> {
    await Promise.all(this.warming);
  }

  private create(backend: Backend, as: ServeAs): ServedModel {
    const { serverName = SERVER_NAME, concurrency, maxQueue, events } = this.options;
    const batching = as.batching ?? this.options.batching;
    const cache = as.cache ?? this.options.cache;
    return new ServedModel(backend, {
      serverName,
      concurrency: as.concurrency ?? concurrency,
      maxQueue: as.maxQueue ?? maxQueue,
      name: as.name,
      version: as.version,
      batching: batching || undefined,
      cache: cache || undefined,
      warmup: as.warmup ?? this.options.warmup,
      events,
    });
  }

  private async warmThenServe(model: ServedModel): Promise<void> {
    if (model.warmup > 0) {
      this.mark(model.name, model.version, 'LOADING');
      try {
        await model.warmUp();
      } catch (err) {
        this.mark(model.name, model.version, 'UNAVAILABLE', (err as Error).message);
        throw err;
      }
    }
    this.serve(model);
  }

  /** The model for requests that name none; undefined: the only model, if there is one. */
  setDefault(name: string | undefined): void {
    this.defaultName = name;
  }

  /** Puts a version in service; a version it replaces closes after its last request. */
  serve(model: ServedModel): void {
    const versions = getOrAdd(this.serving, model.name);
    const replaced = versions.get(model.version);
    versions.set(model.version, model);
    this.updateLatest(model.name);
    this.setStatus({ name: model.name, version: model.version, state: 'READY' });
    // Whoever retires a version on purpose (the repository) reports a close that fails; here
    // nobody is waiting for it, and a rejection nobody handles would stop the process.
    if (replaced && replaced !== model) replaced.retire().catch(() => {});
  }

  /** Marks a version as loading or failed; versions in service keep serving meanwhile. */
  mark(name: string, version: string, state: 'LOADING' | 'UNAVAILABLE', reason?: string): void {
    const current = this.known.get(name)?.get(version);
    // A failed reload of a version in service leaves it serving: the reason is kept beside it.
    if (state === 'UNAVAILABLE' && this.serving.get(name)?.has(version)) {
      this.setStatus({ name, version, state: 'READY', reason });
      return;
    }
    if (state === 'LOADING' && current?.state === 'READY') return;
    this.setStatus({ name, version, state, ...(reason === undefined ? {} : { reason }) });
  }

  /**
   * Takes a model's versions (or one of them) out of service and forgets them; resolves once
   * each has closed after its last request.
   */
  async unserve(name: string, version?: string): Promise<void> {
    const versions = this.serving.get(name);
    const leaving = [...(versions ?? [])].filter(([v]) => version === undefined || v === version);
    for (const [v] of leaving) {
      versions!.delete(v);
      this.setStatus({ name, version: v, state: 'UNLOADING' });
    }
    if (versions?.size === 0) this.serving.delete(name);
    this.updateLatest(name);
    await Promise.all(leaving.map(([, model]) => model.retire()));
    const statuses = this.known.get(name);
    for (const v of version === undefined ? [...(statuses?.keys() ?? [])] : [version]) {
      if (!this.serving.get(name)?.has(v)) statuses?.delete(v);
    }
    if (statuses?.size === 0) this.known.delete(name);
  }

  /**
   * The version a request runs on (a request holds it with RequestContext.use): without a name,
   * the default model; without a version, the model's latest in service.
   */
  find(name?: string, version?: string): ServedModel {
    const modelName = name ?? this.defaultModelName();
    const versions = this.serving.get(modelName);
    if (version === undefined) {
      const latest = this.latest.get(modelName);
      if (latest) return latest;
    } else {
      const model = versions?.get(version);
      if (model) return model;
    }
    throw this.notServing(modelName, version);
  }

  /** Every version in service. */
  served(): ServedModel[] {
    return [...this.serving.values()].flatMap((versions) => [...versions.values()]);
  }

  /** The names with at least one version in service, or known (loading, failed). */
  names(): string[] {
    return [...new Set([...this.serving.keys(), ...this.known.keys()])];
  }

  /** The state of every version the registry knows of. */
  status(): VersionStatus[] {
    return [...this.known.values()].flatMap((versions) => [...versions.values()]);
  }

  /** Every version of `name` in service, latest last. */
  versionsOf(name: string): ServedModel[] {
    return sortVersions([...(this.serving.get(name)?.values() ?? [])]);
  }

  get size(): number {
    return this.serving.size;
  }

  /** Takes every model out of service. */
  async close(): Promise<void> {
    // A version still warming up would otherwise be served after the others closed.
    await Promise.allSettled(this.warming);
    await Promise.all(this.names().map((name) => this.unserve(name)));
  }

  private defaultModelName(): string {
    if (this.defaultName !== undefined) return this.defaultName;
    // Asked on every request to the root: the one-model case without building an array.
    if (this.serving.size === 1) return this.serving.keys().next().value!;
    const names = [...this.serving.keys()];
    throw new GraphPipeError(
      'NOT_FOUND',
      names.length === 0
        ? 'no model is being served'
        : `this server has several models and no default; name one (POST /models/<name>): ${quoted(names)}`,
    );
  }

  private notServing(name: string, version: string | undefined): GraphPipeError {
    const what = version === undefined ? `model "${name}"` : `version "${version}" of model "${name}"`;
    const states = [...(this.known.get(name)?.values() ?? [])].filter(
      (s) => version === undefined || s.version === version,
    );
    const loading = states.find((s) => s.state === 'LOADING' || s.state === 'UNLOADING');
    if (loading) {
      return new GraphPipeError('UNAVAILABLE', `${what} is ${loading.state.toLowerCase()}; retry shortly`, {
        retryAfter: 1,
      });
    }
    const failed = states.find((s) => s.state === 'UNAVAILABLE');
    if (failed) return new GraphPipeError('UNAVAILABLE', `${what} failed to load: ${failed.reason}`);
    const served = [...this.serving.keys()];
    const versions = this.serving.get(name);
    if (versions)
      return new GraphPipeError('NOT_FOUND', `${what} is not served; its versions are ${quoted([...versions.keys()])}`);
    return new GraphPipeError(
      'NOT_FOUND',
      `no ${what}; this server has ${served.length ? quoted(served) : 'no models'}`,
    );
  }

  /** Works out a name's latest version in service again, after its versions changed. */
  private updateLatest(name: string): void {
    const latest = this.versionsOf(name).at(-1);
    if (latest) this.latest.set(name, latest);
    else this.latest.delete(name);
  }

  private setStatus(status: VersionStatus): void {
    getOrAdd(this.known, status.name).set(status.version, status);
  }
}

/** Latest last: by number when every version is a number, else in the order they were added. */
function sortVersions(models: ServedModel[]): ServedModel[] {
  const numeric = models.every((m) => /^\d+$/.test(m.version));
  return numeric ? models.sort((a, b) => Number(a.version) - Number(b.version)) : models;
}

function getOrAdd<K, V>(map: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = map.get(key);
  if (!inner) {
    inner = new Map();
    map.set(key, inner);
  }
  return inner;
}

function quoted(names: readonly string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}
