/**
 * Gets each list into memory and keeps the last good copy there: built-in lists generated from the
 * catalog, the on-disk copy (parsed in the worker), or a fresh download that passed the acceptance checks
 * (accept-list.ts). A refresh that fails keeps what was loaded and records why on the list.
 */
import type { InvalidLine } from '../filter/list-types.js';
import type { Logger } from '../logger.js';
import type { ListRow, ListsRepo } from '../store/repos/lists-repo.js';
import type { Catalog } from '../trackers/catalog.js';
import { type AcceptPolicy, refuseReason } from './accept-list.js';
import { fetchListSource } from './fetch-list.js';
import type { ParsedList } from '../filter/list-types.js';
import { parseList } from '../filter/parse.js';
import type { ListCache } from './list-cache.js';
import { lineAt, shownLine } from './list-line.js';
import type { Loaded, ListSummary, RefreshProgress, RefreshStatus } from './list-manager-types.js';
import { ListParser } from './list-parser.js';
import { bundleBuildId, ParsedListCache } from './parsed-cache.js';
import { BUILTIN_PUBLIC_RESOLVERS, sourceKind } from './list-source.js';
import { contentHash, CopyHashes, LEASE_MS, type SharedListFetch, takeTurn } from './shared-fetch.js';
import type { ListSourcePolicy } from './source-policy.js';

export interface ListLoaderOptions {
  repo: ListsRepo;
  cache: ListCache;
  logger: Logger;
  /** The catalog in use (built-in lists are generated from it). */
  catalog: () => Catalog;
  fetchTimeoutMs: number;
  maxBytes: number;
  sources: ListSourcePolicy;
  acceptPolicy: AcceptPolicy;
  offline: boolean;
  isStopped: () => boolean;
  signal: AbortSignal;
  /** Replicas on PostgreSQL: URL lists are downloaded once for all (shared-fetch.ts). */
  shared?: SharedListFetch;
  /** Keys the parsed-list cache (parsed-cache.ts); null: no cache. Default: the bundle's build id. */
  parsedCacheBuildId?: string | null;
}

export class ListLoader {
  /** The copy in use of each loaded list, by list id. */
  readonly loaded = new Map<number, Loaded>();
  private readonly parser: ListParser;
  private readonly repo: ListsRepo;
  private readonly cache: ListCache;
  private readonly hashes = new CopyHashes();

  constructor(private readonly options: ListLoaderOptions) {
    this.repo = options.repo;
    this.cache = options.cache;
    const buildId = options.parsedCacheBuildId === undefined ? bundleBuildId() : options.parsedCacheBuildId;
    this.parser = new ListParser({
      cache: buildId === null ? null : new ParsedListCache(this.cache.dir, buildId),
    });
  }

  /** The first invalid lines of the copy in use (line, text, reason), for the dashboard. */
  invalidLines(id: number): InvalidLine[] {
    return this.loaded.get(id)?.parsed.invalid ?? [];
  }

  /**
   * Text of line `line` (1-based) of the copy in use, for explain; null when unknown, and null when the
   * line is not an entry of the list's format (explain shows list rules, never other text of a file).
   */
  lineText(listId: number, line: number): string | null {
    const loaded = this.loaded.get(listId);
    const text = loaded?.text ?? this.cache.read(listId);
    if (text === null || !loaded) return null;
    return shownLine(lineAt(text, line), listId, loaded.parsed.format);
  }

  /** Ends the parse worker. */
  close(): Promise<void> {
    return this.parser.close();
  }

  private builtinText(source: string): string {
    return source === BUILTIN_PUBLIC_RESOLVERS
      ? this.options.catalog().publicResolversListText()
      : this.options.catalog().trackingListText();
  }

  loadBuiltin(row: ListRow): void {
    const text = this.builtinText(row.source);
    const parsed = parseList(text, { listId: row.id, format: row.format });
    this.loaded.set(row.id, { parsed, text, format: row.format });
    this.repo.recordSuccess(row.id, {
      entries: parsed.entries,
      invalidLines: parsed.invalidCount,
      etag: null,
      lastModified: null,
    });
  }

  /** Loads the last good copy on disk, parsed in the worker; a copy that cannot be read is left alone. */
  async loadFromCopy(row: ListRow): Promise<void> {
    if (row.builtin) return this.loadBuiltin(row);
    if (!this.cache.has(row.id)) return;
    let parsed: ParsedList;
    try {
      parsed = await this.parser.parseFile(this.cache.path(row.id), row.id, row.format);
    } catch (error) {
      this.options.logger.warn({ list: row.name }, `last good copy not loaded: ${(error as Error).message}`);
      return;
    }
    this.loaded.set(row.id, { parsed, text: null, format: row.format });
    this.repo.recordCounts(row.id, parsed.entries, parsed.invalidCount);
  }

  /**
   * Fetches one list, and takes the new copy only when it is a sound list; on any failure the last good
   * copy stays in use (loaded from disk if it was not yet) and the error is recorded on the list. With
   * replicas, a copy another replica downloaded within `maxAgeMs` (0: only one arriving while this
   * refresh waits) is taken instead of downloading (shared-fetch.ts).
   */
  async refreshOne(
    row: ListRow,
    onProgress: ((p: RefreshProgress) => void) | undefined,
    maxAgeMs = 0,
  ): Promise<ListSummary> {
    const started = performance.now();
    const summary = (status: RefreshStatus, bytes: number, error: string | null): ListSummary => {
      const parsed = this.loaded.get(row.id)?.parsed;
      return {
        listId: row.id,
        name: row.name,
        status,
        entries: parsed?.entries ?? 0,
        invalidLines: parsed?.invalidCount ?? 0,
        durationMs: Math.round(performance.now() - started),
        bytes,
        error,
      };
    };
    if (row.builtin) {
      this.loadBuiltin(row);
      const parsed = this.loaded.get(row.id)?.parsed as ParsedList;
      onProgress?.({
        listId: row.id,
        name: row.name,
        phase: 'entries',
        entries: parsed.entries,
        invalidLines: parsed.invalidCount,
      });
      return summary('updated', 0, null);
    }
    const hasCopy = this.cache.has(row.id);
    let bytes = 0;
    if (this.options.offline || this.options.isStopped()) {
      // No download (explain CLI, or shutting down): not a fault of the list, so nothing is recorded.
      if (!this.loaded.has(row.id)) await this.loadFromCopy(row);
      return summary(
        'failed',
        0,
        this.options.isStopped() ? 'stopped: not downloaded' : 'offline: not downloaded',
      );
    }
    const turn =
      this.options.shared && sourceKind(row.source) === 'url'
        ? await takeTurn({
            shared: this.options.shared,
            source: row.source,
            maxAgeMs,
            waitMs: this.options.fetchTimeoutMs + LEASE_MS,
            localHash: () => this.hashes.get(row.id, row.source, this.cache.path(row.id)),
            warn: (message) => this.options.logger.warn({ list: row.name }, message),
            isStopped: this.options.isStopped,
          })
        : null;
    try {
      if (turn?.kind === 'same') return await this.notModified(row, summary);
      const conditional = hasCopy && (turn?.kind !== 'download' || turn.conditional);
      const result =
        turn?.kind === 'stored'
          ? { status: 'ok' as const, servedAsHtml: false, bytes: turn.copy.body.byteLength, ...turn.copy }
          : await fetchListSource(row.source, {
              // Validators only make sense while we still hold the copy they describe.
              etag: conditional ? row.etag : null,
              lastModified: conditional ? row.lastModified : null,
              timeoutMs: this.options.fetchTimeoutMs,
              maxBytes: this.options.maxBytes,
              signal: this.options.signal,
              policy: this.options.sources,
              onBytes: (received, expected) => {
                bytes = received;
                onProgress?.({ listId: row.id, name: row.name, phase: 'bytes', bytes: received, expected });
              },
            });
      if (result.status === 'not-modified') {
        if (turn?.kind === 'download') await turn.done('not-modified');
        return await this.notModified(row, summary);
      }
      const { parsed, blank } = await this.parser.decodeAndParse(
        result.body,
        result.servedAsHtml,
        row.id,
        row.format,
      );
      onProgress?.({
        listId: row.id,
        name: row.name,
        phase: 'entries',
        entries: parsed.entries,
        invalidLines: parsed.invalidCount,
      });
      const lastGood =
        this.loaded.get(row.id)?.parsed.entries ?? (hasCopy && row.lastSuccess ? row.entries : null);
      const refusal = refuseReason({ blank }, parsed, lastGood, this.options.acceptPolicy);
      if (refusal) throw new Error(refusal);
      // The bytes as downloaded (decodeText accepted them; no string is encoded again), without a BOM,
      // which decodeText dropped and a later read of the copy would keep.
      const bom = result.body[0] === 0xef && result.body[1] === 0xbb && result.body[2] === 0xbf;
      const body = bom ? result.body.subarray(3) : result.body;
      await this.cache.write(row.id, body);
      const hash = contentHash(body);
      this.hashes.set(row.id, row.source, hash);
      if (turn?.kind === 'download') {
        await turn.done({ body, hash, etag: result.etag, lastModified: result.lastModified });
      }
      this.loaded.set(row.id, { parsed, text: null, format: row.format });
      this.repo.recordSuccess(row.id, {
        entries: parsed.entries,
        invalidLines: parsed.invalidCount,
        etag: result.etag,
        lastModified: result.lastModified,
      });
      const done = summary('updated', result.bytes, null);
      this.options.logger.info(
        { list: row.name, entries: done.entries, invalid: done.invalidLines, ms: done.durationMs },
        turn?.kind === 'stored' ? "list taken from another replica's download" : 'list refreshed',
      );
      return done;
    } catch (error) {
      const kept = this.loaded.has(row.id) || hasCopy;
      const message = `${(error as Error).message}${kept ? '; kept the last good copy' : '; no copy to fall back on'}`;
      this.repo.recordError(row.id, message);
      if (!this.loaded.has(row.id)) await this.loadFromCopy(row);
      this.options.logger.warn({ list: row.name, source: row.source }, `list refresh failed: ${message}`);
      return summary('failed', bytes, message);
    } finally {
      if (turn?.kind === 'download') turn.end();
    }
  }

  private async notModified(
    row: ListRow,
    summary: (status: RefreshStatus, bytes: number, error: string | null) => ListSummary,
  ): Promise<ListSummary> {
    this.repo.recordNotModified(row.id);
    if (!this.loaded.has(row.id)) await this.loadFromCopy(row);
    this.options.logger.debug({ list: row.name }, 'list not modified');
    return summary('not-modified', 0, null);
  }
}
