/**
 * The prepared statements of the query log writer (log-writer.ts): raw rows in 100-row multi-value
 * INSERTs, the count and total rollups' upserts, the name rollup passes summed by SQLite from the raw
 * rows, and retention's deletes. Prepared once per open database.
 */
import type Database from 'better-sqlite3';
import { ALL_DEVICES, DAY_MS, HOUR_MS } from './rollup-sums.js';
import type { Db } from './sqlite.js';

/** Rows per multi-value INSERT, and the columns of one raw row. */
export const ROWS_PER_INSERT = 100;
export const COLUMNS = 18;

export interface Statements {
  insertMany: Database.Statement;
  insertOne: Database.Statement;
  insertName: Database.Statement;
  selectClient: Database.Statement;
  insertClient: Database.Statement;
  upsertCounts: Record<'counts_minute' | 'counts_hour' | 'counts_day', Database.Statement>;
  upsertTotals: Record<'totals_minute' | 'totals_hour' | 'totals_day', Database.Statement>;
  /** Sums the raw rows with id in (?, ?] into temp.name_pass. */
  fillNamePass: Database.Statement;
  /** The name rollups, each summed from temp.name_pass. */
  rollNames: Database.Statement[];
  clearNamePass: Database.Statement;
  lastRowId: Database.Statement;
  rolledTo: Database.Statement;
  setRolledTo: Database.Statement;
  oldestRow: Database.Statement;
  pruneRows: Database.Statement;
  prunedNames: Database.Statement;
  subtractNameTotal: Database.Statement;
  dropEmptyNameTotal: Database.Statement;
}

export function prepareWriterStatements(db: Db): Statements {
  const placeholders = `(${Array<string>(COLUMNS).fill('?').join(',')})`;
  const insertSql = `INSERT INTO queries (time, device_id, client_id, name_id, qtype, protocol, status, reason, list_id, rule_id, company_id, category_id, app_id, kind, rcode, duration_us, upstream_id, cname_id) VALUES `;
  const upsertCounts = (table: string): Database.Statement =>
    db.prepare(
      `INSERT INTO ${table} (device_id, bucket, company_id, category_id, app_id, kind, status, count) VALUES (?,?,?,?,?,?,?,?)
         ON CONFLICT DO UPDATE SET count = count + excluded.count`,
    );
  // A name pass reads the new raw rows once, in id order, and sums them per (device, hour, name,
  // status) with SQLite's own sorter into a temporary table, usually far smaller than the rows; each
  // name rollup is then summed from that and upserted in key order. No JavaScript map, no call per key.
  db.pragma('temp_store = MEMORY');
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS name_pass (device_id INTEGER NOT NULL, hour INTEGER NOT NULL,
      name_id INTEGER NOT NULL, status INTEGER NOT NULL, company_id INTEGER NOT NULL, kind INTEGER NOT NULL,
      count INTEGER NOT NULL)`);
  const rollNames = (table: string, device: string, bucket: string, groupBy: string): Database.Statement =>
    db.prepare(
      `INSERT INTO ${table} (device_id, ${table === 'names_total' ? '' : 'bucket, '}name_id, status, company_id, kind, count)
         SELECT ${device}, ${bucket}name_id, status, max(company_id), max(kind), sum(count) FROM temp.name_pass
         WHERE true GROUP BY ${groupBy}
         ON CONFLICT DO UPDATE SET count = count + excluded.count, company_id = excluded.company_id, kind = excluded.kind`,
    );
  const hour = 'hour, ';
  const day = `hour - hour % ${DAY_MS}, `;
  const upsertTotals = (table: string): Database.Statement =>
    db.prepare(
      `INSERT INTO ${table} (device_id, bucket, category_id, kind, status, count) VALUES (?,?,?,?,?,?)
         ON CONFLICT DO UPDATE SET count = count + excluded.count`,
    );
  return {
    upsertTotals: {
      totals_minute: upsertTotals('totals_minute'),
      totals_hour: upsertTotals('totals_hour'),
      totals_day: upsertTotals('totals_day'),
    },
    insertMany: db.prepare(insertSql + Array<string>(ROWS_PER_INSERT).fill(placeholders).join(',')),
    insertOne: db.prepare(insertSql + placeholders),
    insertName: db.prepare('INSERT INTO names (name) VALUES (?)'),
    selectClient: db.prepare('SELECT id FROM clients WHERE address = ?').pluck(),
    insertClient: db.prepare('INSERT INTO clients (address) VALUES (?)'),
    upsertCounts: {
      counts_minute: upsertCounts('counts_minute'),
      counts_hour: upsertCounts('counts_hour'),
      counts_day: upsertCounts('counts_day'),
    },
    fillNamePass: db.prepare(
      `INSERT INTO temp.name_pass SELECT device_id, time - time % ${HOUR_MS}, name_id, status, max(company_id),
         max(kind), count(*) FROM queries WHERE id > ? AND id <= ? AND name_id <> 0 GROUP BY 1, 2, 3, 4`,
    ),
    clearNamePass: db.prepare('DELETE FROM temp.name_pass'),
    rollNames: [
      rollNames('names_hour', String(ALL_DEVICES), hour, '2, 3, 4'),
      rollNames('names_day', 'device_id', day, '1, 2, 3, 4'),
      rollNames('names_day', String(ALL_DEVICES), day, '2, 3, 4'),
      rollNames('names_total', 'device_id', '', '1, 2, 3'),
      rollNames('names_total', String(ALL_DEVICES), '', '2, 3'),
    ],
    lastRowId: db.prepare('SELECT coalesce(max(id), 0) FROM queries').pluck(),
    rolledTo: db.prepare("SELECT last_id FROM rollup_state WHERE name = 'names'").pluck(),
    setRolledTo: db.prepare(
      "INSERT INTO rollup_state (name, last_id) VALUES ('names', ?) ON CONFLICT DO UPDATE SET last_id = excluded.last_id",
    ),
    oldestRow: db.prepare('SELECT id, time FROM queries WHERE id = (SELECT min(id) FROM queries)'),
    pruneRows: db.prepare('DELETE FROM queries WHERE id < ? AND time < ?'),
    prunedNames: db.prepare(
      `SELECT device_id AS deviceId, name_id AS nameId, status, count(*) AS n FROM queries
         WHERE id < ? AND time < ? AND name_id <> 0 GROUP BY 1, 2, 3`,
    ),
    subtractNameTotal: db.prepare(
      'UPDATE names_total SET count = count - ? WHERE device_id = ? AND name_id = ? AND status = ?',
    ),
    dropEmptyNameTotal: db.prepare(
      'DELETE FROM names_total WHERE device_id = ? AND name_id = ? AND status = ? AND count <= 0',
    ),
  };
}
