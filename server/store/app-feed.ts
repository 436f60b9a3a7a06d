/**
 * App inference's rows, handed over by the log writer as it writes them instead of read back from
 * querylog.db. Inside the writer thread (log-writer-worker.ts) every stored row passes add(): only the
 * rows app inference can use are kept (an app's own host, or a tracker contact; most rows are neither),
 * each with its app already known, so a pass (app-rollups.ts) reads no SQL, joins no names table and
 * matches a name against the app catalog once per name id rather than once per row.
 *
 * `covers(from)` says whether every useful row after raw id `from` is here: from begin() on, as long as
 * nothing was lost. A failed transaction, a reopen or a buffer that outgrew its cap (passes not keeping
 * up) start the feed again after the last id, and app-rollups reads the gap from SQL as before, so a
 * row is never counted twice or skipped: the state in rollup_state 'apps' stays the one truth.
 */
import type { LinkRow } from '../trackers/apps/app-linker.js';
import type { AppNames } from './app-hosts.js';
import type { DecodedEvent } from './query-queue.js';

/** Tracker endpoints (querylog 0003's kind). */
const TRACKER_KIND = 1;
/** Rows kept at most; past this the passes are behind and the gap is read from SQL instead. */
const DEFAULT_MAX_ROWS = 200_000;
// appOf's per-name-id memo: 0 = not looked up yet, 1 = no app, 2 + i = app i of the catalog.
const UNKNOWN = 0;
const NO_APP = 1;

/** What the log writer tells about the rows it stores (log-writer.ts). */
export interface RowFeed {
  /** Writing (re)starts after raw id `lastId`: everything before it is SQL's to read. */
  begin(lastId: number): void;
  /** One stored row: its raw id, its event and its name id (0 when privacy hid the name). */
  add(id: number, ev: DecodedEvent, nameId: number): void;
  /** Rows written just now may not exist (a rolled-back transaction, a closed database). */
  suspend(): void;
}

export class AppFeed implements RowFeed {
  private rows: LinkRow[] = [];
  /** Index of the first row still kept (rows before it are released; compacted now and then). */
  private first = 0;
  /** Every useful row with a raw id above this is in `rows`; Infinity while suspended. */
  private startId = Infinity;
  /** The highest raw id added (useful or not). */
  private lastId = 0;
  private memo = new Uint16Array(1024);

  constructor(
    private readonly catalog: AppNames,
    private readonly maxRows = DEFAULT_MAX_ROWS,
  ) {}

  /** Rows waiting for a pass. */
  get size(): number {
    return this.rows.length - this.first;
  }

  /** The highest raw id the feed has seen. */
  get seenTo(): number {
    return this.lastId;
  }

  begin(lastId: number): void {
    this.rows = [];
    this.first = 0;
    this.startId = lastId;
    this.lastId = lastId;
  }

  suspend(): void {
    this.rows = [];
    this.first = 0;
    this.startId = Infinity;
    // A reopened log may be a new file (a corrupt one moved aside) whose name ids mean other names.
    this.memo = new Uint16Array(1024);
  }

  add(id: number, ev: DecodedEvent, nameId: number): void {
    if (this.startId === Infinity) return;
    this.lastId = id;
    if (nameId === 0) return; // a hidden name is neither an app signal nor a tracker contact
    const tracker = ev.kind === TRACKER_KIND;
    const app = tracker ? -1 : this.appOf(nameId, ev.name);
    if (!tracker && app < 0) return;
    if (this.size >= this.maxRows) {
      // Passes are behind: keep memory bounded and let SQL read this stretch.
      this.begin(id);
      return;
    }
    this.rows.push({
      id,
      time: Math.trunc(ev.timeMs),
      deviceId: ev.deviceId,
      nameId,
      companyId: ev.companyId,
      app,
      tracker,
    });
  }

  /** True when every useful row with a raw id above `from` is here. */
  covers(from: number): boolean {
    return from >= this.startId;
  }

  /** Up to `limit` useful rows with raw ids above `from`, in id order. */
  rowsAfter(from: number, limit: number): LinkRow[] {
    let i = this.first;
    while (i < this.rows.length && (this.rows[i] as LinkRow).id <= from) i++;
    return this.rows.slice(i, i + limit);
  }

  /** Drops the rows up to raw id `upTo` (counted by a pass). */
  release(upTo: number): void {
    while (this.first < this.rows.length && (this.rows[this.first] as LinkRow).id <= upTo) this.first++;
    if (this.first >= 4096 && this.first * 2 >= this.rows.length) {
      this.rows = this.rows.slice(this.first);
      this.first = 0;
    }
  }

  /** The app whose host `name` is, looked up once per name id. */
  private appOf(nameId: number, name: string): number {
    if (nameId >= this.memo.length) {
      let size = this.memo.length;
      while (size <= nameId) size *= 2;
      const grown = new Uint16Array(size);
      grown.set(this.memo);
      this.memo = grown;
    }
    const known = this.memo[nameId] as number;
    if (known !== UNKNOWN) return known - 2;
    const app = this.catalog.indexOf(name);
    this.memo[nameId] = app < 0 ? NO_APP : Math.min(app + 2, 0xffff);
    return app;
  }
}
