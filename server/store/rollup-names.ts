/**
 * The name rollups (names_hour, names_day, names_total), summed by SQLite from the raw rows in passes
 * run inside the log writer's transactions (log-writer.ts), so the rows and the rollups commit together.
 *
 * What a pass costs is one B-tree upsert per (device, name) key and table it touches, whatever the
 * number of rows behind each key; with a large list almost every key of a pass is a different name. So
 * at household rates a pass runs every second (it is small), and at high rates the rows wait longer
 * (NAMES_ROLL_MAX_LAG_MS, or NAMES_ROLL_BACKLOG rows) so that a name queried many times in that span is
 * upserted once. A large pass is then applied in slices of name ids, one slice per write, so no single
 * write holds the writer thread long enough for the ring to fill. The pass's extent and how far its
 * slices got are kept in rollup_state in the same transactions: after a crash the pass is summed again
 * from the same raw rows and continues after the last committed slice, so no row counts twice or never.
 *
 * rollup_state 'names' stays what readers rely on: every raw row up to it is in the name rollups
 * (query-log-reader.ts scans the rows after it). Rows of a pass still being sliced are partly in them.
 */
import type Database from 'better-sqlite3';
import { ALL_DEVICES, DAY_MS, HOUR_MS } from './rollup-sums.js';
import type { Db } from './sqlite.js';

/** A pass of at most this many rows runs whole, every NAMES_ROLL_MS. */
const NAMES_ROLL_SMALL = 20_000;
const NAMES_ROLL_MS = 1000;
/** Larger backlogs (high rates) start a pass after this long or once this many rows wait. */
const NAMES_ROLL_MAX_LAG_MS = 5000;
const NAMES_ROLL_BACKLOG = 200_000;
/** Rows of one pass at most (a backlog after a restart is rolled in several). */
const NAMES_ROLL_MAX_ROWS = 200_000;
/** Pass rows (device, hour, name, status sums) per slice: a slice is one write's share of a pass. */
const SLICE_KEYS = 8_000;
const LAST_NAME_ID = Number.MAX_SAFE_INTEGER;

/**
 * One name rollup's upsert of a slice. names_day has an index on company_id, which SQLite rewrites on
 * every update that sets it, even to the same value: there `upsert` adds to rows whose attribution is
 * unchanged (nearly all) and skips the others; `keys` counts the slice's rows for the table, and when
 * fewer changed, `reattribute` adds to the skipped rows and sets their new company and kind.
 */
interface RollStatements {
  upsert: Database.Statement;
  keys?: Database.Statement;
  reattribute?: Database.Statement;
  /**
   * For names_day: the index in `roll` of the names_total upsert with the same devices. Within one day a
   * slice's names_day keys are its names_total keys, so that upsert's change count is the key count and
   * the `keys` query (a second GROUP BY of the slice) is only run for a pass that spans midnight.
   */
  sameKeysAs?: number;
}

interface NameStatements {
  fill: Database.Statement;
  sliceEnd: Database.Statement;
  roll: RollStatements[];
  /** 1 when the pass's rows span more than one day (0 within one day). */
  days: Database.Statement;
  clear: Database.Statement;
  getState: Database.Statement;
  setState: Database.Statement;
  lastRowId: Database.Statement;
}

function prepare(db: Db): NameStatements {
  // The pass's sums, keyed name first so slices are ranges of name ids.
  db.pragma('temp_store = MEMORY');
  db.exec(`DROP TABLE IF EXISTS temp.name_pass`);
  db.exec(`CREATE TEMP TABLE name_pass (device_id INTEGER NOT NULL, hour INTEGER NOT NULL,
      name_id INTEGER NOT NULL, status INTEGER NOT NULL, company_id INTEGER NOT NULL, kind INTEGER NOT NULL,
      count INTEGER NOT NULL, PRIMARY KEY (name_id, device_id, hour, status)) WITHOUT ROWID`);
  const sums = (device: string, bucket: string, groupBy: string): string =>
    `SELECT ${device} AS device_id, ${bucket}name_id, status, max(company_id) AS company_id, max(kind) AS kind,
       sum(count) AS count FROM temp.name_pass WHERE name_id > ? AND name_id <= ? GROUP BY ${groupBy}`;
  const roll = (table: string, device: string, bucket: string, groupBy: string): RollStatements => {
    const columns = `device_id, ${table === 'names_total' ? '' : 'bucket, '}name_id, status, company_id, kind, count`;
    if (table !== 'names_day') {
      return {
        upsert: db.prepare(
          `INSERT INTO ${table} (${columns}) ${sums(device, bucket, groupBy)}
           ON CONFLICT DO UPDATE SET count = count + excluded.count, company_id = excluded.company_id, kind = excluded.kind`,
        ),
      };
    }
    return {
      upsert: db.prepare(
        `INSERT INTO ${table} (${columns}) ${sums(device, bucket, groupBy)}
         ON CONFLICT DO UPDATE SET count = count + excluded.count
         WHERE company_id = excluded.company_id AND kind = excluded.kind`,
      ),
      keys: db.prepare(`SELECT count(*) FROM (${sums(device, bucket, groupBy)})`).pluck(),
      reattribute: db.prepare(
        `UPDATE ${table} SET count = ${table}.count + p.count, company_id = p.company_id, kind = p.kind
         FROM (${sums(device, bucket, groupBy)}) AS p
         WHERE ${table}.device_id = p.device_id AND ${table}.name_id = p.name_id AND ${table}.bucket = p.bucket
           AND ${table}.status = p.status AND (${table}.company_id <> p.company_id OR ${table}.kind <> p.kind)`,
      ),
    };
  };
  const hour = 'hour AS bucket, ';
  const day = `hour - hour % ${DAY_MS} AS bucket, `;
  return {
    fill: db.prepare(
      `INSERT INTO temp.name_pass SELECT device_id, time - time % ${HOUR_MS}, name_id, status, max(company_id),
         max(kind), count(*) FROM queries WHERE id > ? AND id <= ? AND name_id <> 0 GROUP BY 1, 2, 3, 4`,
    ),
    sliceEnd: db
      .prepare('SELECT name_id FROM temp.name_pass WHERE name_id > ? ORDER BY name_id LIMIT 1 OFFSET ?')
      .pluck(),
    // names_total before names_day: its change counts stand for names_day's key counts (sameKeysAs).
    roll: [
      roll('names_hour', String(ALL_DEVICES), hour, '2, 3, 4'),
      roll('names_total', 'device_id', '', '1, 2, 3'),
      roll('names_total', String(ALL_DEVICES), '', '2, 3'),
      { ...roll('names_day', 'device_id', day, '1, 2, 3, 4'), sameKeysAs: 1 },
      { ...roll('names_day', String(ALL_DEVICES), day, '2, 3, 4'), sameKeysAs: 2 },
    ],
    days: db
      .prepare(`SELECT min(hour - hour % ${DAY_MS}) <> max(hour - hour % ${DAY_MS}) FROM temp.name_pass`)
      .pluck(),
    clear: db.prepare('DELETE FROM temp.name_pass'),
    getState: db.prepare('SELECT last_id FROM rollup_state WHERE name = ?').pluck(),
    setState: db.prepare(
      'INSERT INTO rollup_state (name, last_id) VALUES (?, ?) ON CONFLICT DO UPDATE SET last_id = excluded.last_id',
    ),
    lastRowId: db.prepare('SELECT coalesce(max(id), 0) FROM queries').pluck(),
  };
}

export class NameRollups {
  private readonly st: NameStatements;
  /** Every raw row up to this id is in the name rollups. */
  private rolledTo: number;
  /** The pass being applied: rows (rolledTo, to], slices done up to name id `doneName`. */
  private pass: { to: number; doneName: number; manyDays: boolean } | null = null;
  private lastStart = 0;

  /** Prepares the statements and takes up a pass an earlier process left half applied. */
  private readonly sliceKeys: number;
  private readonly rollMs: number;

  /**
   * `tuning` (the main isolate's writer, log-writer-host.ts): smaller slices, and passes more often so each
   * pass's fill sums fewer rows; the thread keeps SLICE_KEYS and NAMES_ROLL_MS.
   */
  constructor(db: Db, tuning: { sliceKeys?: number; rollMs?: number } = {}) {
    this.sliceKeys = tuning.sliceKeys ?? SLICE_KEYS;
    this.rollMs = tuning.rollMs ?? NAMES_ROLL_MS;
    this.st = prepare(db);
    this.rolledTo = (this.st.getState.get('names') as number | undefined) ?? 0;
    const to = (this.st.getState.get('names-pass-to') as number | undefined) ?? 0;
    if (to > this.rolledTo) {
      this.st.fill.run(this.rolledTo, to);
      const doneName = (this.st.getState.get('names-pass-name') as number | undefined) ?? 0;
      this.pass = { to, doneName, manyDays: this.st.days.get() === 1 };
    }
  }

  /** Whether step() has work now: a pass under way, or one due with raw rows up to `lastRowId` written. */
  wantsTurn(now: number, lastRowId: number): boolean {
    return this.pass !== null || this.due(now, lastRowId - this.rolledTo);
  }

  /**
   * Runs inside the writer's transaction: starts a pass when one is due and applies one slice of it,
   * or (`all`: flush, close) everything written so far.
   */
  step(now: number, all: boolean): void {
    if (all) {
      while (this.pass !== null) this.slice(LAST_NAME_ID);
      const last = this.st.lastRowId.get() as number;
      while (this.rolledTo < last) {
        this.start(now, Math.min(last, this.rolledTo + NAMES_ROLL_MAX_ROWS));
        while (this.pass !== null) this.slice(LAST_NAME_ID);
      }
      return;
    }
    if (this.pass === null) {
      const last = this.st.lastRowId.get() as number;
      if (!this.due(now, last - this.rolledTo)) return;
      this.start(now, Math.min(last, this.rolledTo + NAMES_ROLL_MAX_ROWS));
    }
    this.slice(this.sliceKeys);
  }

  private due(now: number, waiting: number): boolean {
    if (waiting <= 0) return false;
    const since = now - this.lastStart;
    return (
      waiting >= NAMES_ROLL_BACKLOG ||
      since >= NAMES_ROLL_MAX_LAG_MS ||
      (since >= this.rollMs && waiting <= NAMES_ROLL_SMALL)
    );
  }

  private start(now: number, to: number): void {
    this.lastStart = now;
    this.st.fill.run(this.rolledTo, to);
    this.pass = { to, doneName: 0, manyDays: this.st.days.get() === 1 };
    this.st.setState.run('names-pass-to', to);
    this.st.setState.run('names-pass-name', 0);
  }

  /** Upserts the pass's sums for the next `keys` rows of it (whole names); ends the pass after its last. */
  private slice(keys: number): void {
    const pass = this.pass;
    if (pass === null) return;
    const end =
      keys === LAST_NAME_ID
        ? undefined
        : (this.st.sliceEnd.get(pass.doneName, keys - 1) as number | undefined);
    const upTo = end ?? LAST_NAME_ID;
    const changes: number[] = [];
    for (const { upsert, keys, reattribute, sameKeysAs } of this.st.roll) {
      const changed = upsert.run(pass.doneName, upTo).changes;
      changes.push(changed);
      if (keys === undefined || reattribute === undefined) continue;
      const keyCount =
        sameKeysAs !== undefined && !pass.manyDays
          ? (changes[sameKeysAs] as number)
          : (keys.get(pass.doneName, upTo) as number);
      if (changed < keyCount) reattribute.run(pass.doneName, upTo);
    }
    if (end !== undefined) {
      pass.doneName = end;
      this.st.setState.run('names-pass-name', end);
      return;
    }
    this.st.clear.run();
    this.rolledTo = pass.to;
    this.pass = null;
    this.st.setState.run('names', pass.to);
    this.st.setState.run('names-pass-to', 0);
  }
}
