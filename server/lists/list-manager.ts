/**
 * Blocklist subscriptions: keeps every enabled list's last good copy on disk and in memory (parsed),
 * builds one matcher from all of them (plus the catalog's built-in lists) and swaps it into the policy.
 *
 * The last good state always serves: start-up loads what is on this machine and downloads the lists that
 * have no copy in the background, and a refresh that fails, times out, or brings something that is not a
 * sound list keeps the copy in use and records the error on the list (list-loader.ts does the loading).
 */
import type { InvalidLine } from '../filter/list-types.js';
import type { CompanyPolicy } from '../filter/profile-state.js';
import { CatalogRepo } from '../store/repos/catalog-repo.js';
import { type ListRow, ListsRepo } from '../store/repos/lists-repo.js';
import { SettingsRepo } from '../store/repos/settings-repo.js';
import type { Catalog } from '../trackers/catalog.js';
import { DEFAULT_ACCEPT_POLICY } from './accept-list.js';
import { buildMatcher } from '../filter/matcher.js';
import { companyPoliciesById } from './company-policies.js';
import { ListCache } from './list-cache.js';
import { subscribeDefaults, subscribeExtra, syncPublicResolversRow } from './default-lists.js';
import { ListLoader } from './list-loader.js';
import { matcherInputs } from './matcher-inputs.js';
import {
  type AddListInput,
  ListError,
  checkListPatch,
  type ListManagerOptions,
  type ListSummary,
  type ListView,
  type Loaded,
  type MatcherBuilder,
  type RefreshProgress,
  type UpdateListInput,
} from './list-manager-types.js';
import type { ListSourceError } from './list-source.js';
import { BUILTIN_CATALOG, defaultListName, normaliseSource, sourceKind } from './list-source.js';
import { sourceProblem, strictSourcePolicy, trustingAlso } from './source-policy.js';

export { ListSourceError } from './list-source.js';
export * from './list-manager-types.js';

export class ListManager {
  private readonly repo: ListsRepo;
  private readonly catalogRepo: CatalogRepo;
  private readonly cache: ListCache;
  private readonly loader: ListLoader;
  private readonly loaded: Map<number, Loaded>;
  private readonly knownSources = new Map<number, string>();
  private readonly options: Required<Omit<ListManagerOptions, 'buildMatcher' | 'catalog' | 'shared'>>;
  private catalog: Catalog;
  private readonly builder: MatcherBuilder;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(options: ListManagerOptions) {
    this.repo = new ListsRepo(options.db);
    this.catalogRepo = new CatalogRepo(options.db);
    this.cache = new ListCache(options.dataDir);
    this.catalog = options.catalog;
    this.builder = options.buildMatcher ?? buildMatcher;
    this.options = {
      db: options.db,
      dataDir: options.dataDir,
      policy: options.policy,
      logger: options.logger,
      refreshHours: options.refreshHours,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      maxBytes: options.maxBytes ?? 64 * 1024 * 1024,
      blockPublicResolvers: options.blockPublicResolvers ?? false,
      checkIntervalMs: options.checkIntervalMs ?? 10 * 60_000,
      acceptPolicy: options.acceptPolicy ?? DEFAULT_ACCEPT_POLICY,
      offline: options.offline ?? false,
      // Lists subscribed before local files had to sit in lists.fileDir keep loading after the upgrade.
      sources: trustingAlso(
        options.sources ?? strictSourcePolicy(options.dataDir),
        this.repo.sourcesBeforeFileDir(),
      ),
    };
    this.loader = new ListLoader({
      repo: this.repo,
      cache: this.cache,
      logger: this.options.logger,
      catalog: () => this.catalog,
      fetchTimeoutMs: this.options.fetchTimeoutMs,
      maxBytes: this.options.maxBytes,
      sources: this.options.sources,
      acceptPolicy: this.options.acceptPolicy,
      offline: this.options.offline,
      isStopped: () => this.stopped,
      signal: this.abort.signal,
      ...(options.shared ? { shared: options.shared } : {}),
    });
    this.loaded = this.loader.loaded;
  }

  /**
   * A new install gets the built-in catalog list and StevenBlack unified hosts (when `defaults`); `extra`
   * sources (config lists.extra / TRACKSINK_BLOCKLISTS) are subscribed if not yet. Only adds rows: start()
   * loads them. Defaults are applied once, so lists the user removed later do not come back.
   */
  ensureDefaults(extra: string[], defaults: boolean): void {
    subscribeDefaults(new SettingsRepo(this.options.db), this.repo, defaults);
    // The public-resolver list follows dns.blockPublicResolvers at every start.
    this.syncPublicResolversRow();
    subscribeExtra(this.repo, extra, this.options.logger);
  }

  /**
   * Loads every enabled list from what is on this machine (built-in lists, local files, the last good
   * copies, parsed in a worker thread) and serves them. Lists without a copy are downloaded afterwards,
   * in the background, and swapped in when they arrive: start() never waits for the network, so DNS can
   * answer at once. `idle()` resolves when those downloads are done.
   */
  start(): Promise<void> {
    return this.serialised(async () => {
      this.applyAttribution();
      const download: number[] = [];
      for (const row of this.repo.all()) {
        if (!row.enabled) continue;
        if (row.builtin) {
          this.loader.loadBuiltin(row);
          continue;
        }
        // Local files are cheap and may have been edited while stopped: read them (the copy is the fallback).
        if (sourceKind(row.source) === 'file' && !this.options.offline) {
          await this.loader.refreshOne(row, undefined);
          continue;
        }
        await this.loader.loadFromCopy(row);
        if (!this.loaded.has(row.id)) download.push(row.id);
      }
      this.rememberSources();
      await this.rebuild();
      this.applyCompanyPolicies();
      if (!this.options.offline) {
        this.schedule();
        for (const id of download) this.downloadInBackground(id);
      }
      const rows = this.repo.all().filter((r) => r.enabled);
      this.options.logger.info(
        { lists: rows.length, loaded: this.loaded.size, failing: rows.filter((r) => r.lastError).length },
        'lists loaded',
      );
    });
  }

  /**
   * Refreshes one list (enabled or not) or every enabled list; returns a summary per list. A failure
   * keeps the last good copy and is recorded on the list; it never rejects. With replicas, a copy another
   * one downloaded within `maxAgeMs` is taken instead (0, a refresh asked for: only one arriving now).
   */
  refresh(
    listId?: number,
    onProgress?: (progress: RefreshProgress) => void,
    maxAgeMs = 0,
  ): Promise<ListSummary[]> {
    return this.serialised(async () => {
      const rows =
        listId === undefined ? this.repo.all().filter((r) => r.enabled) : [this.requireRow(listId)];
      const summaries: ListSummary[] = [];
      for (const row of rows) summaries.push(await this.loader.refreshOne(row, onProgress, maxAgeMs));
      if (summaries.some((s) => s.status === 'updated')) await this.rebuild();
      return summaries;
    });
  }

  /** Subscribes to a list and loads it at once (the summary says whether that first download worked). */
  async add(input: AddListInput): Promise<{ list: ListView; summary: ListSummary | null }> {
    let source: string;
    try {
      source = normaliseSource(input.source);
    } catch (error) {
      throw new ListError((error as ListSourceError).message, 'invalid');
    }
    checkListPatch({ format: input.format, kind: input.kind, name: input.name });
    const problem = sourceProblem(this.options.sources, source);
    if (problem !== null) throw new ListError(problem, 'invalid');
    const row = await this.serialised(async () => {
      if (this.repo.bySource(source))
        throw new ListError(`a list with source ${source} already exists`, 'conflict');
      const inserted = this.repo.insert({
        name: input.name?.trim() || defaultListName(source),
        source,
        format: input.format ?? 'auto',
        kind: input.kind ?? 'block',
        enabled: input.enabled ?? true,
        builtin: sourceKind(source) === 'builtin',
      });
      this.knownSources.set(inserted.id, inserted.source);
      return inserted;
    });
    let summary: ListSummary | null = null;
    if (row.enabled) summary = (await this.refresh(row.id))[0] ?? null;
    return { list: this.view(this.requireRow(row.id)), summary };
  }

  /** Renames, re-formats, enables/disables or re-assigns a list, then rebuilds the matcher. */
  update(id: number, patch: UpdateListInput): Promise<ListView> {
    checkListPatch(patch);
    return this.serialised(async () => {
      const before = this.requireRow(id);
      const row = this.repo.update(id, patch) as ListRow;
      if (patch.assignment) this.repo.setAssignments(id, patch.assignment);
      if (!row.enabled) this.loaded.delete(id);
      else if (!this.loaded.has(id) || patch.format !== undefined || before.format !== row.format) {
        await this.loader.loadFromCopy(row);
        if (!this.loaded.has(id)) await this.loader.refreshOne(row, undefined);
      }
      await this.rebuild();
      return this.view(this.requireRow(id));
    });
  }

  /** Unsubscribes (and deletes the cached copy). Built-in lists can only be disabled. */
  remove(id: number): Promise<void> {
    return this.serialised(async () => {
      const row = this.requireRow(id);
      if (row.builtin)
        throw new ListError(`list ${id} (${row.name}) is built in: disable it instead`, 'invalid');
      this.repo.delete(id);
      this.cache.remove(id);
      this.loaded.delete(id);
      this.knownSources.delete(id);
      await this.rebuild();
    });
  }

  list(): ListView[] {
    return this.repo.all().map((row) => this.view(row));
  }

  get(id: number): ListView | undefined {
    const row = this.repo.get(id);
    return row ? this.view(row) : undefined;
  }

  /** The first invalid lines of the copy in use (line, text, reason), for the dashboard. */
  invalidLines(id: number): InvalidLine[] {
    return this.loader.invalidLines(id);
  }

  /** Text of a line of the copy in use, for explain (only when it is a list entry: list-loader.ts). */
  lineText(listId: number, line: number): string | null {
    return this.loader.lineText(listId, line);
  }

  /** Resolves once every list operation queued so far (such as start()'s background downloads) is done. */
  async idle(): Promise<void> {
    let tail: Promise<unknown>;
    do {
      tail = this.queue;
      await tail;
    } while (tail !== this.queue);
  }

  /** Totals for the start-up line, /api/health and metrics. */
  stats(): { lists: number; enabled: number; loaded: number; failing: number; entries: number } {
    const rows = this.repo.all();
    let entries = 0;
    for (const loaded of this.loaded.values()) entries += loaded.parsed.entries;
    return {
      lists: rows.length,
      enabled: rows.filter((r) => r.enabled).length,
      loaded: this.loaded.size,
      failing: rows.filter((r) => r.enabled && r.lastError !== null).length,
      entries,
    };
  }

  /** A new catalog (e.g. after a companiesdb import): new attribution, regenerated built-in lists. */
  setCatalog(catalog: Catalog): Promise<void> {
    return this.serialised(async () => {
      this.catalog = catalog;
      this.applyAttribution();
      for (const row of this.repo.all()) if (row.enabled && row.builtin) this.loader.loadBuiltin(row);
      await this.rebuild();
      this.applyCompanyPolicies();
    });
  }

  /** New dns.blockPublicResolvers from the dashboard: subscribes or disables the built-in list now. */
  setBlockPublicResolvers(block: boolean): Promise<void> {
    return this.serialised(async () => {
      this.options.blockPublicResolvers = block;
      const row = this.syncPublicResolversRow();
      if (!row) return;
      if (row.enabled) this.loader.loadBuiltin(row);
      else this.loaded.delete(row.id);
      this.rememberSources();
      await this.rebuild();
    });
  }

  /** New lists.refreshHours: the next scheduled check uses it. */
  setRefreshHours(hours: number): void {
    this.options.refreshHours = hours;
  }

  /**
   * After the lists table was replaced behind the manager's back (a configuration import): loads every
   * enabled list as start() does and rebuilds the matcher, with the company policies and list
   * assignments of the new table. A cached copy whose list id now names another source is deleted
   * first, so no list is ever served with another list's entries. Local files are read now; a remote
   * list without a copy is downloaded in the background (the reload does not wait for the network).
   */
  reload(): Promise<void> {
    return this.serialised(async () => {
      const rows = this.repo.all();
      const now = new Map(rows.map((row) => [row.id, row]));
      for (const [id, source] of this.knownSources) {
        if (now.get(id)?.source === source) continue;
        this.cache.remove(id);
        this.loaded.delete(id);
      }
      const download: number[] = [];
      for (const row of rows) {
        if (!row.enabled) {
          this.loaded.delete(row.id);
          continue;
        }
        if (row.builtin) {
          this.loader.loadBuiltin(row);
        } else if (sourceKind(row.source) === 'file' && !this.options.offline) {
          await this.loader.refreshOne(row, undefined);
        } else {
          // The same list as before keeps its parsed copy unless its format changed.
          const loaded = this.loaded.get(row.id);
          if (!loaded || loaded.format !== row.format) {
            this.loaded.delete(row.id);
            await this.loader.loadFromCopy(row);
          }
          if (!this.loaded.has(row.id)) download.push(row.id);
        }
      }
      for (const id of this.loaded.keys()) if (!now.has(id)) this.loaded.delete(id);
      this.rememberSources();
      await this.rebuild();
      this.applyCompanyPolicies();
      if (!this.options.offline) for (const id of download) this.downloadInBackground(id);
    });
  }

  companyPolicies(): Map<string, CompanyPolicy> {
    return new Map(this.catalogRepo.companyPolicies().map((row) => [row.companyKey, row.policy]));
  }

  /** Sets a company's preset and applies it at once. */
  setCompanyPolicy(companyKey: string, policy: CompanyPolicy): void {
    if (!this.catalog.company(companyKey))
      throw new ListError(`unknown company ${JSON.stringify(companyKey)}`, 'not-found');
    try {
      this.catalogRepo.setCompanyPolicy(companyKey, policy);
    } catch (error) {
      throw new ListError((error as Error).message, 'invalid');
    }
    this.applyCompanyPolicies();
  }

  /** Stops the schedule and cancels a download in flight; waits for the running operation to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.queue.catch(() => undefined);
    await this.loader.close();
  }

  // ——— internals ———

  /**
   * Another replica stored a new copy of `source` (shared-fetch.ts): lists with that source take it.
   * A first download nobody waits for (below) takes a copy another replica fetched within refreshHours.
   */
  takeShared(source: string): void {
    for (const row of this.repo.all())
      if (row.enabled && row.source === source) this.downloadInBackground(row.id, Number.MAX_SAFE_INTEGER);
  }

  private downloadInBackground(id: number, maxAgeMs = this.options.refreshHours * 3_600_000): void {
    this.refresh(id, undefined, maxAgeMs).catch((err: unknown) =>
      this.options.logger.warn({ err, listId: id }, 'list download skipped'),
    );
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private requireRow(id: number): ListRow {
    const row = this.repo.get(id);
    if (!row) throw new ListError(`no list with id ${id}`, 'not-found');
    return row;
  }

  private view(row: ListRow): ListView {
    const assignment = this.repo.assignments().get(row.id) ?? { groupIds: [], deviceIds: [] };
    return { ...row, assignment, loaded: this.loaded.has(row.id) };
  }

  private async rebuild(): Promise<void> {
    const inputs = matcherInputs(this.repo.all(), this.loaded, this.repo.assignments());
    // Built beside the old matcher and swapped in one assignment: lookups never see a half-built state.
    this.options.policy.setLists(this.builder(inputs));
    const catalogList = this.repo.bySource(BUILTIN_CATALOG);
    this.options.policy.setCatalogBlocking?.(
      catalogList !== undefined && catalogList.enabled && this.loaded.has(catalogList.id),
      catalogList?.id ?? 0,
    );
  }

  private applyAttribution(): void {
    this.options.policy.setAttribution(this.catalog.attribution());
  }

  private applyCompanyPolicies(): void {
    const rows = this.catalogRepo.companyPolicies();
    this.options.policy.setCompanyPolicies(companyPoliciesById(rows, this.catalog, this.options.logger));
  }

  /** Makes the built-in public-resolver list's row follow options.blockPublicResolvers; returns it. */
  private syncPublicResolversRow(): ListRow | undefined {
    return syncPublicResolversRow(this.repo, this.options.blockPublicResolvers);
  }

  /** Which source each list id had when the manager last synced with the table (see reload()). */
  private rememberSources(): void {
    this.knownSources.clear();
    for (const row of this.repo.all()) this.knownSources.set(row.id, row.source);
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.refreshDue(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  /** Refreshes the enabled lists whose last attempt is older than refreshHours. */
  private async refreshDue(): Promise<void> {
    const due = Date.now() - this.options.refreshHours * 3_600_000;
    for (const row of this.repo.all()) {
      if (this.stopped) return;
      if (!row.enabled || row.builtin || (row.lastRefresh !== null && row.lastRefresh > due)) continue;
      await this.refresh(row.id, undefined, this.options.refreshHours * 3_600_000);
    }
  }
}
