/**
 * App inference over the query log, off the DNS path: a timer reads the raw rows written since the last
 * pass (rollup_state 'apps', like the writer's name rollups), matches their names against the app
 * catalog, links tracker contacts to the apps queried around them (trackers/apps/app-linker.ts), and
 * adds the sums to device_apps, device_trackers and tracker_app_links in querylog.db.
 *
 * It runs on the main thread in small steps (a few thousand rows, then the event loop gets its turn) and
 * never waits long for the writer thread's lock: when the log is busy, the pass is simply tried again.
 * A row is counted only once its whole window lies in the past, so a contact and an app query that
 * arrive in different passes still meet; the rows just before a pass are read again as neighbours.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import type { AppFeed } from './app-feed.js';
import type { AppNames } from './app-hosts.js';
import { type LinkRow, type LinkSums, linkRows } from '../trackers/apps/app-linker.js';
import type { Statement } from 'better-sqlite3';
import { type Db, openDatabase, QUERY_LOG_FILE } from './sqlite.js';

export const APP_WINDOW_MS = 2000;
const CATCH_UP_PAUSE_MS = 10;
const TRACKER_KIND = 1;

export interface AppRollupsOptions {
  dataDir: string;
  catalog: AppNames;
  /** How close in time (before or after) an app query must be to a tracker contact. */
  windowMs?: number;
  /** Rows per step. */
  chunkRows?: number;
  logger?: Logger;
  /** Only read the rollups (the API): a read-only handle, and pass() is not for it. */
  readOnly?: boolean;
  /**
   * Inside the log writer thread: the writer's own handle (null while its database is closed) instead of
   * a connection of its own, so a pass never waits for a lock, and the rows the writer hands over
   * (app-feed.ts) instead of reading them back while the feed has them.
   */
  writer?: { db: () => Db | null; feed: AppFeed };
  /** Each saved pass's sums, on the handle they were saved with (the PostgreSQL shipper copies them). */
  onCounted?: (sums: LinkSums, db: Db) => void;
}

export interface DeviceAppRow {
  appKey: string;
  firstSeen: number;
  lastSeen: number;
  queries: number;
}

/** What the Apps page reads: AppRollups (this replica's querylog.db) or pg/pg-apps.ts (the network's). */
export interface AppsReader {
  deviceApps(deviceId: number): DeviceAppRow[] | Promise<DeviceAppRow[]>;
  trackerLinks(deviceId: number, limit?: number): TrackerLinkRow[] | Promise<TrackerLinkRow[]>;
}

export interface TrackerLinkRow {
  appKey: string | null;
  nameId: number;
  name: string;
  companyId: number;
  together: number;
  total: number;
  firstSeen: number;
  lastSeen: number;
}

interface RawRow {
  id: number;
  time: number;
  deviceId: number;
  nameId: number;
  companyId: number;
  kind: number;
  name: string | null;
}

/** The pass's statements, prepared once per connection (preparing compiles the SQL every time). */
interface PassStatements {
  lastId: Statement;
  rows: Statement;
  signalsBefore: Statement;
  upsertApp: Statement;
  upsertTracker: Statement;
  upsertLink: Statement;
  saveState: Statement;
}

const ROW_COLUMNS = `q.id, q.time, q.device_id AS deviceId, q.name_id AS nameId, q.company_id AS companyId,
           q.kind, n.name`;

function prepareStatements(db: Db): PassStatements {
  return {
    lastId: db.prepare("SELECT last_id FROM rollup_state WHERE name = 'apps'").pluck(),
    rows: db.prepare(
      `SELECT ${ROW_COLUMNS}
         FROM queries q LEFT JOIN names n ON n.id = q.name_id WHERE q.id > ? ORDER BY q.id LIMIT ?`,
    ),
    // Neighbours before a pass only matter as app signals: a tracker contact (kind 1 with a name) never is
    // one, so those are not read back. Bounded by ids as well as time, so a log of nothing but tracker
    // contacts is not scanned to its start.
    signalsBefore: db.prepare(
      `SELECT ${ROW_COLUMNS}
         FROM queries q LEFT JOIN names n ON n.id = q.name_id
         WHERE q.id <= ? AND q.id > ? AND q.time >= ? AND NOT (q.kind = ${TRACKER_KIND} AND q.name_id <> 0)
         ORDER BY q.id`,
    ),
    upsertApp: db.prepare(
      `INSERT INTO device_apps (device_id, app_key, first_seen, last_seen, queries) VALUES (?,?,?,?,?)
         ON CONFLICT DO UPDATE SET first_seen = min(first_seen, excluded.first_seen),
           last_seen = max(last_seen, excluded.last_seen), queries = queries + excluded.queries`,
    ),
    upsertTracker: db.prepare(
      `INSERT INTO device_trackers (device_id, name_id, company_id, first_seen, last_seen, total) VALUES (?,?,?,?,?,?)
         ON CONFLICT DO UPDATE SET company_id = CASE WHEN excluded.company_id <> 0 THEN excluded.company_id ELSE company_id END,
           first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
           total = total + excluded.total`,
    ),
    upsertLink: db.prepare(
      `INSERT INTO tracker_app_links (device_id, app_key, name_id, together) VALUES (?,?,?,?)
         ON CONFLICT DO UPDATE SET together = together + excluded.together`,
    ),
    saveState: db.prepare(
      "INSERT INTO rollup_state (name, last_id) VALUES ('apps', ?) ON CONFLICT DO UPDATE SET last_id = excluded.last_id",
    ),
  };
}

/** The saved state moved while a pass was summing: its sums are dropped and the next step starts over. */
class PassRaced extends Error {}

export class AppRollups implements AppsReader {
  private db: Db | null = null;
  private st: PassStatements | null = null;
  /**
   * The app signals (app queries that are not tracker contacts) of the last saved pass up to its boundary:
   * the next pass's neighbours before its first row, kept instead of read back (valid while `from` is it).
   */
  private carry: { from: number; signals: LinkRow[] } | null = null;
  private openedIno = -1;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private readonly windowMs: number;
  private readonly chunkRows: number;
  private readonly dbPath: string;
  /** Rows counted so far (for tests and the log). */
  counted = 0;
  /** Why the last pass failed, or null. */
  error: string | null = null;

  constructor(private readonly options: AppRollupsOptions) {
    this.dbPath = join(options.dataDir, QUERY_LOG_FILE);
    this.windowMs = options.windowMs ?? APP_WINDOW_MS;
    this.chunkRows = options.chunkRows ?? 1000;
  }

  /** Passes every `intervalMs`; while behind, one step after another with the event loop in between. */
  start(intervalMs = 2000): void {
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      let more = false;
      try {
        more = this.pass(Date.now());
      } catch (error) {
        this.error = (error as Error).message;
        this.options.logger?.warn({ err: error }, 'app inference pass failed; trying again');
      }
      // Catching up (a long log at first start): a short pause between steps leaves the main thread to
      // DNS and the API most of the time.
      if (!this.stopped) this.timer = setTimeout(tick, more ? CATCH_UP_PAUSE_MS : intervalMs);
    };
    this.timer = setTimeout(tick, intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.options.writer === undefined) this.db?.close(); // the writer's handle is the writer's to close
    this.db = null;
    this.st = null;
    this.carry = null;
  }

  /**
   * One step: counts the rows after the last pass whose window has passed by `now`. Returns true when
   * more rows wait (call again soon). A busy log leaves everything for the next step.
   */
  pass(now: number): boolean {
    if (this.options.readOnly) throw new Error('a read-only AppRollups cannot count rows');
    const db = this.connection();
    const st = this.st;
    if (!db || !st) return false;
    const from = (st.lastId.get() as number | undefined) ?? 0;
    const feed = this.options.writer?.feed;
    const fromFeed = feed !== undefined && feed.covers(from);
    const rows = fromFeed
      ? feed.rowsAfter(from, this.chunkRows)
      : (st.rows.all(from, this.chunkRows) as RawRow[]).map((row) => this.toLinkRow(row));
    if (rows.length === 0) {
      if (fromFeed && feed.seenTo > from) this.skipQuiet(st, from, feed.seenTo);
      return false;
    }
    const full = rows.length === this.chunkRows;
    const last = rows[rows.length - 1] as LinkRow;
    // Count a row once everything within its window has been written: up to `now` minus the window, and
    // in a full chunk up to the window before its last row (the rest are neighbours, counted next step).
    const limit = Math.min(now, full ? last.time : now) - this.windowMs;
    let boundary = from;
    for (let i = rows.length - 1; i >= 0; i--) {
      if ((rows[i] as LinkRow).time <= limit) {
        boundary = (rows[i] as LinkRow).id;
        break;
      }
    }
    // A burst longer than a chunk with no row old enough: count the chunk rather than stall.
    if (boundary === from && full) boundary = last.id;
    if (boundary === from) return false;
    const since = (rows[0] as LinkRow).time - this.windowMs;
    const lowestId = from - this.chunkRows;
    const carried = this.carry !== null && this.carry.from === from ? this.carry.signals : null;
    const before =
      carried !== null
        ? carried.filter((row) => row.time >= since && (fromFeed || row.id > lowestId))
        : (st.signalsBefore.all(from, lowestId, since) as RawRow[]).map((row) => this.toLinkRow(row));
    const linkInput = before.concat(rows);
    const sums = linkRows(linkInput, this.windowMs, (row) => row.id > from && row.id <= boundary);
    const key = (app: number): string => this.options.catalog.apps[app]?.key ?? '';
    const save = db.transaction(() => {
      // Another pass (another thread or process) counted these rows meanwhile: count nothing twice.
      if (((st.lastId.get() as number | undefined) ?? 0) !== from) throw new PassRaced();
      for (const a of sums.apps) st.upsertApp.run(a.deviceId, key(a.app), a.firstSeen, a.lastSeen, a.queries);
      for (const t of sums.trackers) {
        st.upsertTracker.run(t.deviceId, t.nameId, t.companyId, t.firstSeen, t.lastSeen, t.total);
      }
      for (const l of sums.links) st.upsertLink.run(l.deviceId, key(l.app), l.nameId, l.together);
      st.saveState.run(boundary);
    });
    try {
      save.immediate();
    } catch (error) {
      if (error instanceof PassRaced) {
        this.carry = null;
        return true;
      }
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return false;
      throw error;
    }
    this.error = null;
    this.options.onCounted?.(sums, db);
    this.counted += rows.filter((row) => row.id > from && row.id <= boundary).length;
    const signals = linkInput.filter((row) => row.id <= boundary && row.app >= 0 && !row.tracker);
    this.carry = { from: boundary, signals: signals.slice(-this.chunkRows) };
    feed?.release(boundary);
    return full;
  }

  /**
   * Nothing useful was written after `from` up to `to` (the feed saw those rows and kept none): move the
   * saved state past them, so a restart does not read them back from SQL. The carried signals stay valid.
   */
  private skipQuiet(st: PassStatements, from: number, to: number): void {
    try {
      st.saveState.run(to);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return;
      throw error;
    }
    if (this.carry !== null && this.carry.from === from) this.carry.from = to;
  }

  /** The apps seen on a device, most recent first. */
  deviceApps(deviceId: number): DeviceAppRow[] {
    const db = this.connection();
    if (!db) return [];
    return db
      .prepare(
        `SELECT app_key AS appKey, first_seen AS firstSeen, last_seen AS lastSeen, queries FROM device_apps
         WHERE device_id = ? ORDER BY last_seen DESC`,
      )
      .all(deviceId) as DeviceAppRow[];
  }

  /**
   * Every tracker the device contacted, with each app seen near it (appKey null: no app was near, or
   * none is known); most contacts first.
   */
  trackerLinks(deviceId: number, limit = 500): TrackerLinkRow[] {
    const db = this.connection();
    if (!db) return [];
    return db
      .prepare(
        `SELECT l.app_key AS appKey, t.name_id AS nameId, coalesce(n.name, '') AS name, t.company_id AS companyId,
           coalesce(l.together, 0) AS together, t.total, t.first_seen AS firstSeen, t.last_seen AS lastSeen
         FROM (SELECT * FROM device_trackers WHERE device_id = ? ORDER BY total DESC LIMIT ?) t
         LEFT JOIN tracker_app_links l ON l.device_id = t.device_id AND l.name_id = t.name_id
         LEFT JOIN names n ON n.id = t.name_id
         ORDER BY t.total DESC, t.name_id, together DESC`,
      )
      .all(deviceId, limit) as TrackerLinkRow[];
  }

  private toLinkRow(row: RawRow): LinkRow {
    return {
      id: row.id,
      time: row.time,
      deviceId: row.deviceId,
      nameId: row.nameId,
      companyId: row.companyId,
      app: row.name ? this.options.catalog.indexOf(row.name) : -1,
      // Only tracker endpoints (querylog 0003's kind) are tracker contacts; a name hidden by privacy is neither.
      tracker: row.kind === TRACKER_KIND && row.nameId !== 0,
    };
  }

  /** A writable connection, reopened when the writer replaced the file; null until the log exists. */
  private connection(): Db | null {
    const writer = this.options.writer;
    if (writer !== undefined) {
      const db = writer.db();
      if (db !== this.db) {
        this.db = db;
        this.st = db === null ? null : prepareStatements(db);
        this.carry = null;
      }
      return db;
    }
    let ino: number;
    try {
      ino = statSync(this.dbPath).ino;
    } catch {
      return this.db;
    }
    if (this.db !== null && ino === this.openedIno) return this.db;
    this.db?.close();
    this.db = null;
    this.st = null;
    this.carry = null;
    const db = openDatabase(this.dbPath, { readonly: this.options.readOnly ?? false });
    // The writer thread owns the log: never hold the main thread long for its lock.
    if (!this.options.readOnly) db.pragma('busy_timeout = 20');
    const tables = db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('device_apps', 'rollup_state')",
      )
      .pluck()
      .all();
    if (tables.length < 2) {
      // The writer has not migrated the file yet: try again on the next pass.
      db.close();
      return null;
    }
    this.db = db;
    this.st = this.options.readOnly ? null : prepareStatements(db);
    this.openedIno = ino;
    return db;
  }
}
