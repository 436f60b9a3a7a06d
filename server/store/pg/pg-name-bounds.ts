/**
 * The bounded top-names search's candidates over PostgreSQL (pg-top-names.ts), kept in log_name_bounds
 * (PG migration 0008) instead of grouped from log_names_total on every request: that grouping (~72,000
 * rows for every device together on 10 M rows) was the largest cost of an overview that is not the whole
 * log. A device's row holds its 3,001 names of largest total (and of largest blocked total) as they were
 * when taken, with the device's query and blocked counts then (log_totals_day, the same transaction).
 *
 * Why that stays exact: a name's total can only have grown by what the device logged since (its count
 * now minus its count then), so its total then plus that growth bounds its count over any period, and a
 * name not listed had a total no larger than the last listed one's (or none). Retention lowers totals
 * and counts alike, so when the device's oldest day moved the bounds are taken again before use; they are
 * also retaken in the background once the growth is large (the search then has to look further).
 */
import { QueryStatus } from '../../events/query-event.js';
import type { PgPool } from './pg-connect.js';
import { one, rows } from './pg-read.js';

/** Names listed per device and list: the bounded search's limit (3,000) and one more. */
export const LISTED_NAMES = 3001;
/**
 * Candidates read with the device's counts: the first four chunks of the bounded search (40 + 80 + 160 +
 * 320, pg-top-names.ts), which answer most periods, and the name after them (whose bound says whether the
 * search stops there); the rest is read only when the search goes on. The whole lists (2 × 3,001 names and
 * totals) cost 46-240 ms to read and parse at load 16, their heads 10-17.
 */
export const HEAD_NAMES = 601;
/** Retaken in the background once the device logged more than this share of its count since. */
const STALE_SHARE = 0.02;
/** … or this long ago, when it logged anything since. */
const STALE_AFTER_MS = 15 * 60_000;

/** A name and its bound: its total when taken plus what the device logged since. */
export interface Candidate {
  name: string;
  bound: number;
}

/** One list's candidates in falling order of bound then name, and the bound of every name not listed. */
export interface CandidateList {
  /** The first candidates (all of them when `more` is null). */
  list: Candidate[];
  /**
   * The whole list, when `list` is its head; null when the kept lists were retaken meanwhile (a new
   * order): the search then sums every name instead.
   */
  more: (() => Promise<Candidate[] | null>) | null;
  /** Every name not listed counts at most this over any period. */
  rest: number;
}

interface BoundsRow {
  present: boolean;
  taken_at: number | null;
  oldest_day: number | null;
  total_at: number | null;
  blocked_at: number | null;
  names: string[] | null;
  totals: number[] | null;
  blocked_names: string[] | null;
  blocked_totals: number[] | null;
  /** The whole lists' lengths and last totals (the heads above may be shorter). */
  names_count: number | null;
  names_last: number | null;
  blocked_count: number | null;
  blocked_last: number | null;
  total_now: number;
  blocked_now: number;
  oldest_now: number | null;
}

const BLOCKED = QueryStatus.blocked;
const NOW_COUNTS = `SELECT coalesce(sum(count), 0) AS total_now,
    coalesce(sum(count) FILTER (WHERE status = ${BLOCKED}), 0) AS blocked_now, min(bucket) AS oldest_now
  FROM log_totals_day WHERE device_id = $1`;

/** Both lists of one device from one pass over its per-name totals, with its counts: one statement. */
const TAKE_SQL = `WITH b AS (
    SELECT name, sum(count) AS total, coalesce(sum(count) FILTER (WHERE status = ${BLOCKED}), 0) AS blocked
    FROM log_names_total WHERE device_id = $1 GROUP BY name),
  t AS (SELECT name, total FROM b WHERE total > 0 ORDER BY total DESC, name LIMIT ${LISTED_NAMES}),
  k AS (SELECT name, blocked FROM b WHERE blocked > 0 ORDER BY blocked DESC, name LIMIT ${LISTED_NAMES}),
  c AS (${NOW_COUNTS})
  INSERT INTO log_name_bounds
    (device_id, taken_at, oldest_day, total_at, blocked_at, names, totals, blocked_names, blocked_totals)
  SELECT $1, $2, c.oldest_now, c.total_now, c.blocked_now,
    coalesce((SELECT array_agg(name ORDER BY total DESC, name) FROM t), '{}'),
    coalesce((SELECT array_agg(total ORDER BY total DESC, name) FROM t), '{}'),
    coalesce((SELECT array_agg(name ORDER BY blocked DESC, name) FROM k), '{}'),
    coalesce((SELECT array_agg(blocked ORDER BY blocked DESC, name) FROM k), '{}')
  FROM c
  ON CONFLICT (device_id) DO UPDATE SET taken_at = excluded.taken_at, oldest_day = excluded.oldest_day,
    total_at = excluded.total_at, blocked_at = excluded.blocked_at, names = excluded.names,
    totals = excluded.totals, blocked_names = excluded.blocked_names, blocked_totals = excluded.blocked_totals`;

/** The kept lists' heads ($2 names) and the device's counts now, in one statement (one snapshot of both). */
const READ_SQL = `SELECT b.device_id IS NOT NULL AS present, b.taken_at, b.oldest_day, b.total_at, b.blocked_at,
    b.names[1:$2] AS names, b.totals[1:$2]::float8[] AS totals, b.blocked_names[1:$2] AS blocked_names,
    b.blocked_totals[1:$2]::float8[] AS blocked_totals,
    cardinality(b.names) AS names_count, b.totals[cardinality(b.totals)]::float8 AS names_last,
    cardinality(b.blocked_names) AS blocked_count,
    b.blocked_totals[cardinality(b.blocked_totals)]::float8 AS blocked_last,
    c.total_now, c.blocked_now, c.oldest_now
  FROM (${NOW_COUNTS}) c LEFT JOIN log_name_bounds b ON b.device_id = $1`;

/** The rest of one kept list after its head ($3), as long as it is the one taken at $2. */
const TAIL_SQL = {
  all: `SELECT names[$3 + 1:] AS names, totals[$3 + 1:]::float8[] AS totals
    FROM log_name_bounds WHERE device_id = $1 AND taken_at = $2`,
  blocked: `SELECT blocked_names[$3 + 1:] AS names, blocked_totals[$3 + 1:]::float8[] AS totals
    FROM log_name_bounds WHERE device_id = $1 AND taken_at = $2`,
} as const;

export class PgNameBounds {
  /** Devices whose lists this process is retaking (one at a time each). */
  private readonly retaking = new Map<number, Promise<void>>();

  constructor(
    private readonly pool: PgPool,
    private readonly clock: () => number = Date.now,
    /** Candidates read at first (tests read fewer). */
    private readonly head = HEAD_NAMES,
  ) {}

  /**
   * The candidates of one device (ALL_DEVICES for every device together): the kept lists with what the
   * device logged since added to every bound; taken first when missing or when retention ran since.
   */
  async candidates(deviceId: number): Promise<Record<'all' | 'blocked', CandidateList>> {
    let row = await this.read(deviceId);
    if (!usable(row)) {
      await this.retake(deviceId);
      row = await this.read(deviceId);
    } else if (stale(row, this.clock())) {
      // Answered from the kept lists now; the next page finds fresher ones.
      void this.retake(deviceId).catch(() => {});
    }
    const growth = Math.max(0, row.total_now - (row.total_at ?? 0));
    const blockedGrowth = Math.max(0, row.blocked_now - (row.blocked_at ?? 0));
    const tail = (which: 'all' | 'blocked') => async () => {
      const found = await rows<{ names: string[]; totals: number[] }>(this.pool, TAIL_SQL[which], [
        deviceId,
        row.taken_at,
        this.head,
      ]);
      return found[0] ?? null;
    };
    return {
      all: listOf(row.names ?? [], row.totals ?? [], row.names_count, row.names_last, growth, tail('all')),
      blocked: listOf(
        row.blocked_names ?? [],
        row.blocked_totals ?? [],
        row.blocked_count,
        row.blocked_last,
        blockedGrowth,
        tail('blocked'),
      ),
    };
  }

  /** Takes the lists now when they are missing or unusable (start-up: the first page need not). */
  async prepare(deviceId: number): Promise<void> {
    if (!usable(await this.read(deviceId))) await this.retake(deviceId);
  }

  /** Takes (again) one device's lists; concurrent calls of this process share one statement. */
  retake(deviceId: number): Promise<void> {
    const running = this.retaking.get(deviceId);
    if (running !== undefined) return running;
    const task = this.pool
      .query(TAKE_SQL, [deviceId, this.clock()])
      .then(() => {})
      .finally(() => this.retaking.delete(deviceId));
    this.retaking.set(deviceId, task);
    return task;
  }

  private read(deviceId: number): Promise<BoundsRow> {
    return one<BoundsRow>(this.pool, READ_SQL, [deviceId, this.head]);
  }
}

/**
 * Kept lists that can bound today's counts: present, and taken since the device's oldest day last moved
 * (retention subtracts from the totals and the counts, which would make the growth look smaller).
 */
function usable(row: BoundsRow): boolean {
  return (
    row.present &&
    row.oldest_day === row.oldest_now &&
    row.total_now >= (row.total_at ?? 0) &&
    row.blocked_now >= (row.blocked_at ?? 0)
  );
}

function stale(row: BoundsRow, now: number): boolean {
  const growth = row.total_now - (row.total_at ?? 0);
  if (growth <= 0) return false;
  return growth > STALE_SHARE * (row.total_at ?? 0) || now - (row.taken_at ?? 0) > STALE_AFTER_MS;
}

/** A list from its head, its whole length and last total, and a reader of the rest. */
function listOf(
  names: string[],
  totals: number[],
  count: number | null,
  last: number | null,
  growth: number,
  tail: () => Promise<{ names: string[]; totals: number[] } | null>,
): CandidateList {
  const candidatesOf = (n: string[], t: number[]) =>
    n.map((name, i) => ({ name, bound: (t[i] ?? 0) + growth }));
  const list = candidatesOf(names, totals);
  // Not listed: a total no larger than the last listed one's, or (a full list absent) none at all.
  const rest = ((count ?? 0) >= LISTED_NAMES ? (last ?? 0) : 0) + growth;
  const more =
    (count ?? 0) > list.length
      ? async () => {
          const found = await tail();
          return found === null ? null : [...list, ...candidatesOf(found.names, found.totals)];
        }
      : null;
  return { list, more, rest };
}
