/**
 * The shared record of list downloads in PostgreSQL (table list_fetch, PG migration 0005), for
 * lists/shared-fetch.ts: a lease per list source, the copy the lease holder downloaded, and a NOTIFY on
 * channel tracksink_lists when that copy changed, so the other replicas take it within moments instead of
 * at their next refresh. Every time is the database's clock, so replicas' clocks need not agree.
 */
import { LEASE_MS, type SharedClaim, type SharedCopy, type SharedListFetch } from './list-fetch-port.js';
import type { PgPool } from './pg-connect.js';

export const LISTS_CHANNEL = 'tracksink_lists';

const MS = "interval '1 millisecond'";
/** checked_at in whole milliseconds: compared with the same expression, never with a rounded copy. */
const CHECKED_MS = 'floor(extract(epoch FROM checked_at) * 1000)::bigint';

export class PgListFetch implements SharedListFetch {
  constructor(
    private readonly pool: PgPool,
    private readonly replica: string,
    private readonly leaseMs = LEASE_MS,
  ) {}

  async claim(source: string, maxAgeMs: number, seenCheckedAt: number | null): Promise<SharedClaim> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO list_fetch (source) VALUES ($1) ON CONFLICT DO NOTHING', [source]);
      const result = await client.query<{
        holder: string | null;
        leased: boolean;
        fresh: boolean;
        hash: string | null;
        checked: string | null;
      }>(
        `SELECT holder, coalesce(lease_until > now(), false) AS leased, content_hash AS hash,
           ${CHECKED_MS} AS checked,
           coalesce(content_hash IS NOT NULL AND (checked_at > now() - $2 * ${MS}
             OR ($3::bigint IS NOT NULL AND ${CHECKED_MS} > $3::bigint)), false) AS fresh
         FROM list_fetch WHERE source = $1 FOR UPDATE`,
        // A huge age (take whatever is stored) stays within an interval's range.
        [source, Math.min(maxAgeMs, 100 * 365 * 86_400_000), seenCheckedAt],
      );
      const row = result.rows[0];
      if (row === undefined) throw new Error(`list_fetch has no row for ${source}`);
      const checkedAt = row.checked === null ? null : Number(row.checked);
      let claim: SharedClaim;
      if (row.fresh && row.hash !== null && checkedAt !== null) {
        claim = { kind: 'stored', hash: row.hash, checkedAt };
      } else if (row.leased && row.holder !== null && row.holder !== this.replica) {
        claim = { kind: 'wait', holder: row.holder, checkedAt };
      } else {
        await client.query(
          `UPDATE list_fetch SET holder = $2, lease_until = now() + $3 * ${MS} WHERE source = $1`,
          [source, this.replica, this.leaseMs],
        );
        claim = { kind: 'download', hash: row.hash };
      }
      await client.query('COMMIT');
      return claim;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async renew(source: string): Promise<void> {
    await this.pool.query(
      `UPDATE list_fetch SET lease_until = now() + $3 * ${MS} WHERE source = $1 AND holder = $2`,
      [source, this.replica, this.leaseMs],
    );
  }

  async store(source: string, copy: SharedCopy): Promise<void> {
    await this.pool.query(
      `WITH old AS (SELECT content_hash FROM list_fetch WHERE source = $1),
       up AS (
         UPDATE list_fetch SET body = $3, content_hash = $4, etag = $5, last_modified = $6, checked_at = now(),
           fetched_at = CASE WHEN content_hash IS DISTINCT FROM $4 THEN now() ELSE fetched_at END,
           holder = NULL, lease_until = NULL
         WHERE source = $1 RETURNING source)
       SELECT pg_notify('${LISTS_CHANNEL}', $2 || ' ' || $1)
         FROM up, old WHERE old.content_hash IS DISTINCT FROM $4`,
      [source, this.replica, Buffer.from(copy.body), copy.hash, copy.etag, copy.lastModified],
    );
  }

  async touch(source: string): Promise<void> {
    await this.pool.query(
      `UPDATE list_fetch SET checked_at = now(), holder = NULL, lease_until = NULL
       WHERE source = $1 AND content_hash IS NOT NULL`,
      [source],
    );
    await this.release(source);
  }

  async release(source: string): Promise<void> {
    await this.pool.query(
      'UPDATE list_fetch SET holder = NULL, lease_until = NULL WHERE source = $1 AND holder = $2',
      [source, this.replica],
    );
  }

  async read(source: string): Promise<SharedCopy | null> {
    const result = await this.pool.query<{
      body: Buffer | null;
      hash: string | null;
      etag: string | null;
      last_modified: string | null;
    }>('SELECT body, content_hash AS hash, etag, last_modified FROM list_fetch WHERE source = $1', [source]);
    const row = result.rows[0];
    if (row?.body == null || row.hash === null) return null;
    return { body: row.body, hash: row.hash, etag: row.etag, lastModified: row.last_modified };
  }
}
