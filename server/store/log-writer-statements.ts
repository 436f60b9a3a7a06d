/**
 * The prepared statements of the query log writer (log-writer.ts): raw rows in 100-row multi-value
 * INSERTs, the count and total rollups' upserts and retention's deletes (the name rollups' passes are
 * rollup-names.ts's). Prepared once per open database.
 */
import type Database from 'better-sqlite3';
import type { Db } from './sqlite.js';

/** Rows per multi-value INSERT, and the columns of one raw row (its id first: see LogWriter.writeRows). */
export const ROWS_PER_INSERT = 100;
export const COLUMNS = 19;

export interface Statements {
  insertMany: Database.Statement;
  insertOne: Database.Statement;
  insertName: Database.Statement;
  selectClient: Database.Statement;
  insertClient: Database.Statement;
  upsertCounts: Record<'counts_minute' | 'counts_hour' | 'counts_day', Database.Statement>;
  upsertTotals: Record<'totals_minute' | 'totals_hour' | 'totals_day', Database.Statement>;
  lastRowId: Database.Statement;
  oldestRow: Database.Statement;
  pruneRows: Database.Statement;
  prunedNames: Database.Statement;
  subtractNameTotal: Database.Statement;
  dropEmptyNameTotal: Database.Statement;
}

export function prepareWriterStatements(db: Db): Statements {
  const placeholders = `(${Array<string>(COLUMNS).fill('?').join(',')})`;
  const insertSql = `INSERT INTO queries (id, time, device_id, client_id, name_id, qtype, protocol, status, reason, list_id, rule_id, company_id, category_id, app_id, kind, rcode, duration_us, upstream_id, cname_id) VALUES `;
  const upsertCounts = (table: string): Database.Statement =>
    db.prepare(
      `INSERT INTO ${table} (device_id, bucket, company_id, category_id, app_id, kind, status, count) VALUES (?,?,?,?,?,?,?,?)
         ON CONFLICT DO UPDATE SET count = count + excluded.count`,
    );
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
    // The highest raw row id ever used: the table's, or (retention emptied it) the highest one a rollup
    // resumes from ('names-pass-name' is a name id, not a row id).
    lastRowId: db
      .prepare(
        `SELECT max((SELECT coalesce(max(id), 0) FROM queries),
                    (SELECT coalesce(max(last_id), 0) FROM rollup_state WHERE name IN ('names', 'names-pass-to', 'apps')))`,
      )
      .pluck(),
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
