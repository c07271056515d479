import { EventEmitter } from 'node:events';
import { realpath, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { GraphPipeError, messageOf } from '@graphpipe/protocol';
import type { Logger } from 'pino';
import type { ServerCore } from '../http/core.js';
import { oneLine } from '../http/errors.js';
import { ConcurrencyLimiter } from '../models/limiter.js';
import type { ModelState } from '../models/registry.js';
import { addRepositoryRoutes, type RepositoryAdmin } from '../protocols/repository-admin-routes.js';
import { selectVersions } from './config.js';
import { KeyedQueue } from './keyed-queue.js';
import { locateModel, type RepositoryEntry, readEntry, scanRepository, stampOf } from './layout.js';
import { loadModel, type PackageImporter } from './model-formats.js';
import { type RepositoryWatcher, watchRepository } from './watcher.js';

export interface ModelRepositoryOptions {
  /**
   * Imports a backend package by name: pass `(name) => import(name)` from the package that
   * depends on the backends (see PackageImporter).
   */
  readonly importer: PackageImporter;
  /** Watch the directory and load, reload or unload models as their files change. Default true. */
  readonly watch?: boolean;
  /** How long a model's files must stay unchanged before the watcher acts, in ms. Default 500. */
  readonly settleMs?: number;
  /** Models loaded at once when the repository starts. Default: the cores available, at most 4. */
  readonly loadConcurrency?: number;
  /** Backend options every model gets (e.g. `{ device: 'cuda' }`); a model's config adds to them. */
  readonly backendOptions?: Readonly<Record<string, unknown>>;
  /**
   * Where administrators' loads and unloads and the watcher's changes go instead of being applied
   * at once: processes serving one directory (a cluster's workers) hand them to one sequencer,
   * which has each process `apply` them in the same order. Resolves once the change is applied.
   */
  readonly sequence?: (change: RepositoryChange) => Promise<void>;
}

/** A change to what the repository serves: an administrator's load or unload, or the watcher's news of an entry. */
export type RepositoryChange =
  | { readonly action: 'load' | 'unload'; readonly name: string }
  | { readonly action: 'resync'; readonly key: string };

/** One line of the repository index (OIP v2's `POST /v2/repository/index`). */
export interface RepositoryIndexEntry {
  readonly name: string;
  /** Absent for a model none of whose versions is loaded, loading or failed. */
  readonly version?: string;
  readonly state: ModelState;
  readonly reason?: string;
}

/** What the repository tells its listeners (metrics, tests) as models come and go. */
export interface RepositoryEvents {
  loaded: [{ name: string; version: string; seconds: number }];
  /** A version that failed to load, or a model that cannot be served at all (no version). */
  failed: [{ name: string; version?: string; reason: string }];
  unloaded: [{ name: string; version: string }];
}

/** What one entry of the directory serves: its name and, per version, the files it was loaded from. */
interface Served {
  readonly name: string;
  readonly stamps: Map<string, string>;
}

/**
 * A directory of models served by one server (see the README for the layout): each file or
 * folder is a model, a folder of numbered folders is a model's versions. It loads them through
 * the table of model formats into the server's registry, reloads and unloads them as their files
 * change (with `watch`) or when asked (`load`, `unload`, or OIP v2's repository routes), and
 * never fails a request in doing so: a request runs to its end on the version it started on,
 * and a version that fails to load leaves the one serving in service.
 */
export class ModelRepository extends EventEmitter<RepositoryEvents> implements RepositoryAdmin {
  readonly dir: string;
  private core: ServerCore | undefined;
  private logger: Logger | false = false;
  private realRoot = '';
  private readonly served = new Map<string, Served>();
  /** Which entry (key) serves each name. */
  private readonly claims = new Map<string, string>();
  /** Entries that cannot be served, and why, by key. */
  private readonly problems = new Map<string, { name: string; reason: string }>();
  /** Entries unloaded on request: they stay unloaded, whatever their files do, until loaded again. */
  private readonly unloaded = new Set<string>();
  private readonly queue = new KeyedQueue();
  private readonly closing = new Set<Promise<void>>();
  private watcher: RepositoryWatcher | undefined;
  private closed = false;

  constructor(
    dir: string,
    private readonly options: ModelRepositoryOptions,
  ) {
    super();
    this.dir = resolve(dir);
  }

  /**
   * Adds the repository routes to the server, loads every model, then watches the directory.
   * Call once, before the server takes its first request (`serve` does, with its `repository`).
   */
  async start(core: ServerCore, { logger = false }: { logger?: Logger | false } = {}): Promise<void> {
    if (this.core) throw new Error('the model repository has already started');
    const info = await stat(this.dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new GraphPipeError('NOT_FOUND', `no model repository at ${this.dir}`);
    this.core = core;
    this.logger = logger;
    this.realRoot = await realpath(this.dir);
    addRepositoryRoutes(core.routes, this);
    core.extensions.add('model_repository');
    const entries = await this.scan();
    const limit = this.options.loadConcurrency ?? Math.min(availableParallelism(), 4);
    const loads = new ConcurrencyLimiter(limit, Number.POSITIVE_INFINITY);
    await Promise.all(
      [...entries.values()].map((entry) =>
        this.queue.run(entry.key, async () => {
          await loads.acquire();
          try {
            await this.sync(entry.key, entry, false);
          } finally {
            loads.release();
          }
        }),
      ),
    );
    if (this.options.watch ?? true) {
      this.watcher = await watchRepository(
        this.dir,
        this.options.settleMs ?? 500,
        (key) => void this.changed(key),
        (err) => this.log('error', { err }, 'watching the model repository failed'),
      );
    }
  }

  /** Every model the server knows of, and every model in the directory (rescanned now). */
  async index({ ready = false }: { ready?: boolean } = {}): Promise<RepositoryIndexEntry[]> {
    const models = this.registry();
    const entries = await this.scan();
    const rows: RepositoryIndexEntry[] = [...models.status()];
    const listed = new Set(rows.map((r) => r.name));
    for (const [key, { name, reason }] of this.problems) {
      // What the entry still serves already carries the reason; an entry that serves nothing gets a line.
      if (!(listed.has(name) && this.claims.get(name) === key)) rows.push({ name, state: 'UNAVAILABLE', reason });
      listed.add(name);
    }
    for (const entry of entries.values()) {
      if (listed.has(entry.name)) continue;
      const reason = this.unloaded.has(entry.key) ? 'unloaded' : (entry.problem ?? 'not loaded');
      rows.push({ name: entry.name, state: 'UNAVAILABLE', reason });
      listed.add(entry.name);
    }
    const byNameThenVersion = (a: RepositoryIndexEntry, b: RepositoryIndexEntry) =>
      a.name.localeCompare(b.name) || Number(a.version ?? -1) - Number(b.version ?? -1);
    return rows.filter((r) => !ready || r.state === 'READY').sort(byNameThenVersion);
  }

  /**
   * Loads (or reloads) the model called `name` from the directory, as it is on disk now: every
   * version its policy selects is loaded afresh, and versions it no longer selects are unloaded.
   * Rejects, naming each failure, when a version failed to load (any version serving stays).
   */
  async load(name: string): Promise<void> {
    const entry = await this.entryNamed(name);
    const failures = await this.queue.run(entry.key, async () => {
      this.unloaded.delete(entry.key);
      return this.sync(entry.key, await this.read(entry.key), true);
    });
    if (failures.length > 0) {
      const what = failures.map((f) => (f.version === undefined ? f.reason : `version ${f.version}: ${f.reason}`));
      throw new GraphPipeError('INVALID_ARGUMENT', `failed to load model "${name}": ${what.join('; ')}`);
    }
  }

  /**
   * Takes every version of the model called `name` out of service (each closes after its last
   * request). It stays unloaded, whatever its files do, until `load`ed again.
   */
  async unload(name: string): Promise<void> {
    const key = this.claims.get(name) ?? (await this.entryNamed(name)).key;
    await this.queue.run(key, async () => {
      this.unloaded.add(key);
      this.problems.delete(key);
      this.served.delete(key);
      // Failed versions are forgotten too: the index then says "unloaded".
      const statuses = this.registry().status();
      this.retire(
        name,
        statuses.flatMap((s) => (s.name === name && s.state !== 'UNLOADING' ? [s.version] : [])),
      );
    });
  }

  /** An administrator's load or unload: through the sequencer when there is one. */
  administer(change: RepositoryChange & { action: 'load' | 'unload' }): Promise<void> {
    return this.options.sequence ? this.options.sequence(change) : this.apply(change);
  }

  /** Applies a change here (what the sequencer has every process do). */
  apply(change: RepositoryChange): Promise<void> {
    if (change.action === 'resync') return this.resync(change.key);
    return change.action === 'load' ? this.load(change.name) : this.unload(change.name);
  }

  /** Stops watching and waits for loads and unloads under way; the server then closes the models. */
  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.close();
    await this.queue.idle();
    await Promise.all(this.closing);
  }

  /** What the watcher calls: the entry's files changed. */
  private changed(key: string): void {
    if (!this.options.sequence) return void this.resync(key);
    this.options
      .sequence({ action: 'resync', key })
      .catch((err: unknown) => this.log('error', { err, entry: key }, 'updating a model from the repository failed'));
  }

  /** Applies the watcher's news of an entry: never rejects (nobody awaits it), failures go to the log. */
  private async resync(key: string): Promise<void> {
    if (this.closed) return;
    try {
      await this.queue.run(key, async () => {
        if (!this.closed) await this.sync(key, await this.read(key), false);
      });
    } catch (err) {
      this.log('error', { err, entry: key }, 'updating a model from the repository failed');
    }
  }

  /**
   * Brings what entry `key` serves in line with the directory (`entry`; undefined: it is gone).
   * `force` reloads versions whose files did not change. Returns the failures.
   */
  private async sync(key: string, entry: RepositoryEntry | undefined, force: boolean): Promise<Failure[]> {
    const before = this.served.get(key);
    if (!entry) {
      this.problems.delete(key);
      this.unloaded.delete(key);
      if (before) this.leave(key, before);
      return [];
    }
    if (this.unloaded.has(key)) return [];
    const owner = this.claims.get(entry.name);
    if (owner !== undefined && owner !== key) {
      const reason = `${entry.label} is also called "${entry.name}", the name of the model already served from the repository's "${owner}"; give one of them another name (name: in a config)`;
      return [this.cannotServe(key, entry.name, reason, before)];
    }
    this.claims.set(entry.name, key);
    if (entry.problem !== undefined) return [this.cannotServe(key, entry.name, entry.problem, before)];
    this.problems.delete(key);

    const { name } = entry;
    const present = [...entry.versions.keys()];
    const wanted = entry.numbered ? selectVersions(present, entry.config.versions) : ['1'];
    const stamps = before?.name === name ? new Map(before.stamps) : new Map<string, string>();
    const failures: Failure[] = [];
    for (const version of wanted) {
      const failure = await this.loadVersion(entry, version, stamps, force);
      if (failure) failures.push(failure);
    }
    const policy = entry.config.versions;
    const missing =
      typeof policy === 'object' && 'specific' in policy ? policy.specific.filter((v) => !entry.versions.has(v)) : [];
    for (const version of missing) {
      failures.push(
        this.failed(name, version, `the config asks for version ${version}, which is not in the repository`),
      );
    }
    this.served.set(key, { name, stamps });
    // Versions leave service once the ones that replace them serve; one whose folder is gone leaves at once.
    const replaced = wanted.every((v) => stamps.has(v));
    const leaving = [...stamps.keys()].filter((v) => !wanted.includes(v) && (replaced || !entry.versions.has(v)));
    for (const v of leaving) stamps.delete(v);
    this.retire(name, leaving);
    // Failed versions no longer wanted are forgotten.
    const known = this.registry()
      .status()
      .filter((s) => s.name === name && s.state === 'UNAVAILABLE');
    this.retire(
      name,
      known.map((s) => s.version).filter((v) => !wanted.includes(v) && !missing.includes(v) && !stamps.has(v)),
    );
    if (before && before.name !== name) this.leave(key, before);
    return failures;
  }

  /** Loads one version unless it serves from the same files already; returns the failure if it failed. */
  private async loadVersion(
    entry: RepositoryEntry,
    version: string,
    stamps: Map<string, string>,
    force: boolean,
  ): Promise<Failure | undefined> {
    const { name } = entry;
    const location = await locateModel(this.realRoot, entry, version);
    if ('problem' in location) return this.failed(name, version, location.problem);
    let stamp: string;
    try {
      stamp = await stampOf(this.realRoot, location.path, entry.configPath);
    } catch (err) {
      return this.failed(name, version, oneLine(messageOf(err)));
    }
    if (!force && stamps.get(version) === stamp) return undefined;
    const models = this.registry();
    models.mark(name, version, 'LOADING');
    const started = performance.now();
    try {
      const { options, device } = entry.config;
      const backend = await loadModel(location.path, this.options.importer, {
        ...this.options.backendOptions,
        ...(device === undefined ? {} : { device }),
        ...options,
        name,
      });
      if (this.closed) {
        await backend.close?.();
        return undefined;
      }
      const replaced = models.versionsOf(name).find((m) => m.version === version);
      try {
        // Served once warmed up (LOADING until then); a failed warm-up fails the load.
        await models.load(backend, {
          name,
          version,
          concurrency: entry.config.concurrency,
          maxQueue: entry.config.maxQueue,
          batching: entry.config.batching,
          cache: entry.config.cache,
          warmup: entry.config.warmup,
        });
      } catch (err) {
        await backend.close?.();
        throw err;
      }
      // The instance it replaces closes after its last request (the registry retires it).
      if (replaced) this.track(replaced.retire(), name, version, true);
    } catch (err) {
      return this.failed(name, version, oneLine(messageOf(err)));
    }
    stamps.set(version, stamp);
    const seconds = (performance.now() - started) / 1000;
    this.log('info', { model: name, version, ms: Math.round(seconds * 1000) }, 'model loaded');
    this.emit('loaded', { name, version, seconds });
    return undefined;
  }

  /** Records a failed load: the index and log say why, and versions serving stay in service. */
  private failed(name: string, version: string, reason: string): Failure {
    this.registry().mark(name, version, 'UNAVAILABLE', reason);
    this.log('error', { model: name, version, reason }, 'model failed to load');
    this.emit('failed', { name, version, reason });
    return { version, reason };
  }

  /** An entry that cannot be served at all; what it served before keeps serving, marked with the reason. */
  private cannotServe(key: string, name: string, reason: string, before: Served | undefined): Failure {
    this.problems.set(key, { name, reason });
    for (const version of before?.stamps.keys() ?? [])
      this.registry().mark(before!.name, version, 'UNAVAILABLE', reason);
    this.log('error', { model: name, reason }, 'model cannot be served');
    this.emit('failed', { name, reason });
    return { reason };
  }

  /** Takes versions out of service; each closes after its last request. */
  private retire(name: string, versions: readonly string[]): void {
    const models = this.registry();
    for (const version of versions) {
      const serving = models.versionsOf(name).some((m) => m.version === version);
      this.track(models.unserve(name, version), name, version, serving);
    }
  }

  /** Waits (in `close`) for a version to close, then says it was unloaded when it had been serving. */
  private track(closed: Promise<void>, name: string, version: string, serving: boolean): void {
    const done = closed.then(
      () => {
        if (!serving) return;
        this.log('info', { model: name, version }, 'model unloaded');
        this.emit('unloaded', { name, version });
      },
      (err) => this.log('error', { err, model: name, version }, 'closing a model failed'),
    );
    this.closing.add(done);
    void done.then(() => this.closing.delete(done));
  }

  /** Entry `key` no longer serves `before.name`: its versions leave, and another entry may take the name. */
  private leave(key: string, before: Served): void {
    if (this.served.get(key) === before) this.served.delete(key);
    this.retire(before.name, [...before.stamps.keys()]);
    if (this.claims.get(before.name) !== key) return;
    this.claims.delete(before.name);
    // An entry that wanted the name can have it now.
    for (const [other, problem] of this.problems) if (problem.name === before.name) void this.resync(other);
  }

  private async entryNamed(name: string): Promise<RepositoryEntry> {
    // The entry serving the name, read alone; the whole directory only for a name not served.
    const claimed = this.claims.get(name);
    const entry = claimed === undefined ? undefined : await this.read(claimed);
    if (entry?.name === name) return entry;
    const entries = await this.scan();
    const found = [...entries.values()].find((e) => e.name === name);
    if (found) return found;
    const names = [...new Set([...entries.values()].map((e) => e.name))];
    throw new GraphPipeError(
      'NOT_FOUND',
      `no model "${name}" in the repository ${this.dir}; it has ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'none'}`,
    );
  }

  private scan(): Promise<Map<string, RepositoryEntry>> {
    return scanRepository(this.dir, this.options.importer);
  }

  private read(key: string): Promise<RepositoryEntry | undefined> {
    return readEntry(this.dir, key, this.options.importer);
  }

  private registry() {
    if (!this.core) throw new Error('the model repository has not started');
    return this.core.models;
  }

  private log(level: 'info' | 'error', fields: object, message: string): void {
    if (this.logger) this.logger[level](fields, message);
  }
}

interface Failure {
  readonly version?: string;
  readonly reason: string;
}
