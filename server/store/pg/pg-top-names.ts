/**
 * Top names and top blocked names over PostgreSQL's log, the way store/top-names.ts finds them in
 * SQLite: one device's short period from its hourly names and the raw log's partial hours; a period that holds the
 * whole log from the per-name totals (exact); any other period by the bounded search (the totals bound
 * every period's count, so names are counted exactly, a chunk at a time in falling order of their total,
 * until no later name can enter the list). Names have no ids here (each replica interns its own), so
 * `nameId` is 0 and ties rank by name.
 */
import { QueryStatus } from '../../events/query-event.js';
import { clampLimit, floorTo, hourAndDaySegments, type Period, type Segment } from '../rollup-periods.js';
import { ALL_DEVICES, DAY_MS, HOUR_MS, SHORT_ROLLUP_KEEP_MS } from '../rollup-sums.js';
import type { TopName, TopOptions } from '../top-names.js';
import type { PgPool } from './pg-connect.js';
import type { PgLogPage } from './pg-log-page.js';
import { LISTED_NAMES, PgNameBounds, type CandidateList } from './pg-name-bounds.js';
import { Params, rows } from './pg-read.js';

type NameCount = Omit<TopName, 'nameId'>;

/** Names counted exactly before the bounded search sums every name instead (LISTED_NAMES - 1). */
const MAX_BOUNDED_NAMES = LISTED_NAMES - 1;
/**
 * Names counted exactly by the bounded search's first statement; each next statement counts twice as
 * many (up to MAX_CHUNK): every statement is a round trip, and a short period (a day of a 30-day log)
 * may need a few hundred names before no later one can enter the list.
 */
const FIRST_CHUNK = 40;
const MAX_CHUNK = 640;
const BLOCKED_SUM = `coalesce(sum(count) FILTER (WHERE status = ${QueryStatus.blocked}), 0)`;

export class PgTopNames {
  /** The bounded search's candidates, kept (pg-name-bounds.ts). */
  readonly bounds: PgNameBounds;

  constructor(
    private readonly pool: PgPool,
    private readonly page: PgLogPage,
    private readonly now: () => number,
    bounds?: PgNameBounds,
  ) {
    this.bounds = bounds ?? new PgNameBounds(pool);
  }

  async topNameLists(
    period: Period,
    options: TopOptions = {},
    which: 'all' | 'blocked' | 'both' = 'both',
  ): Promise<{ all: TopName[] | null; blocked: TopName[] | null }> {
    const limit = clampLimit(options.limit, 10);
    const deviceId = options.deviceId ?? ALL_DEVICES;
    const wantAll = which !== 'blocked';
    const wantBlocked = which !== 'all';
    if (options.deviceId !== undefined && period.to - period.from <= SHORT_ROLLUP_KEEP_MS) {
      return this.deviceNames(options.deviceId, period, limit, wantAll, wantBlocked);
    }
    const bounds = await this.page.bounds();
    const whole = bounds === null || (period.from <= bounds.oldest && period.to > bounds.newest);
    if (whole) {
      const [all, blocked] = await Promise.all([
        wantAll ? this.totals(deviceId, limit, false) : null,
        wantBlocked ? this.totals(deviceId, limit, true) : null,
      ]);
      return { all, blocked };
    }
    const candidates = await this.bounds.candidates(deviceId);
    const [all, blocked] = await Promise.all([
      wantAll ? this.bounded(period, deviceId, limit, false, candidates.all) : null,
      wantBlocked ? this.bounded(period, deviceId, limit, true, candidates.blocked) : null,
    ]);
    return { all, blocked };
  }

  /**
   * The top names of one device in a short period, counted exactly: every name's whole hours from the
   * device's hourly names (log_device_names_hour, kept 48 h), the partial hours at the edges, or a period
   * older than that rollup, from the raw log. Ranked by the server, which sends only the lists: the
   * busiest device of the 10 M-row bench asks ~9,500 names a day, and sending every one of them to rank
   * here cost more than counting them.
   */
  private async deviceNames(
    deviceId: number,
    period: Period,
    limit: number,
    wantAll: boolean,
    wantBlocked: boolean,
  ): Promise<{ all: TopName[] | null; blocked: TopName[] | null }> {
    const params = new Params();
    const device = params.add(deviceId);
    const raw = (from: number, to: number) =>
      `SELECT name, company_id, kind, status, 1 AS count FROM query_log
       WHERE device_id = ${device} AND time >= ${params.add(from)} AND time < ${params.add(to)} AND name <> ''`;
    const firstHour = floorTo(period.from + HOUR_MS - 1, HOUR_MS);
    const lastHour = floorTo(period.to, HOUR_MS);
    const kept = firstHour >= floorTo(this.now() - SHORT_ROLLUP_KEEP_MS, HOUR_MS);
    const arms =
      kept && firstHour < lastHour
        ? [
            `SELECT name, company_id, kind, status, count FROM log_device_names_hour
             WHERE device_id = ${device} AND bucket >= ${params.add(firstHour)} AND bucket < ${params.add(lastHour)}`,
            ...(period.from < firstHour ? [raw(period.from, firstHour)] : []),
            ...(lastHour < period.to ? [raw(lastHour, period.to)] : []),
          ]
        : [raw(period.from, period.to)];
    // Ties rank by name in code point order, as `before` ranks them (whatever the database's collation).
    const lists = [
      ...(wantAll
        ? [
            `(SELECT false AS "blockedList", name, "companyId", kind, count, blocked FROM counted
              ORDER BY count DESC, name COLLATE "C" LIMIT ${limit})`,
          ]
        : []),
      ...(wantBlocked
        ? [
            `(SELECT true AS "blockedList", name, "companyId", kind, blocked AS count, blocked FROM counted
              WHERE blocked > 0 ORDER BY blocked DESC, name COLLATE "C" LIMIT ${limit})`,
          ]
        : []),
    ];
    const found = await rows<NameCount & { blockedList: boolean }>(
      this.pool,
      `WITH counted AS (
         SELECT name, max(company_id) AS "companyId", max(kind) AS kind, sum(count) AS count,
                ${BLOCKED_SUM} AS blocked
         FROM (${arms.join(' UNION ALL ')}) s GROUP BY name)
       ${lists.join(' UNION ALL ')}`,
      params.values,
    );
    const list = (blockedList: boolean) =>
      ranked(
        found.filter((row) => row.blockedList === blockedList).map(({ blockedList: _, ...row }) => row),
        limit,
      );
    return { all: wantAll ? list(false) : null, blocked: wantBlocked ? list(true) : null };
  }

  /** A company's most asked names over the period (whole days), every device together. */
  async companyNames(companyId: number, period: Period, limit: number): Promise<TopName[]> {
    const found = await rows<NameCount>(
      this.pool,
      `SELECT name, $1::int AS "companyId", max(kind) AS kind, sum(count) AS count, ${BLOCKED_SUM} AS blocked
       FROM log_names_day WHERE company_id = $1 AND company_id <> 0 AND bucket >= $2 AND bucket < $3
         AND device_id = ${ALL_DEVICES}
       GROUP BY name ORDER BY count DESC, name LIMIT $4`,
      [companyId, floorTo(period.from, DAY_MS), period.to, limit],
    );
    return found.map(withId);
  }

  /** Exact over the whole log: the per-name totals. */
  private async totals(deviceId: number, limit: number, blockedOnly: boolean): Promise<TopName[]> {
    const found = await rows<NameCount>(
      this.pool,
      `SELECT name, max(company_id) AS "companyId", max(kind) AS kind, sum(count) AS count, ${BLOCKED_SUM} AS blocked
       FROM log_names_total WHERE device_id = $1 ${blockedOnly ? `AND status = ${QueryStatus.blocked}` : ''}
       GROUP BY name ORDER BY count DESC, name LIMIT $2`,
      [deviceId, limit],
    );
    return found.map(withId);
  }

  /**
   * The bounded search: every device together counts hour edges (log_names_hour) and whole days
   * (log_names_day); one device counts its whole days.
   */
  private async bounded(
    period: Period,
    deviceId: number,
    limit: number,
    blockedOnly: boolean,
    { list: head, more: readRest, rest }: CandidateList,
  ): Promise<TopName[]> {
    const statusFilter = blockedOnly ? `AND status = ${QueryStatus.blocked}` : '';
    const segments: Segment[] =
      deviceId === ALL_DEVICES
        ? hourAndDaySegments('log_names_hour', 'log_names_day', floorTo(period.from, HOUR_MS), period.to)
        : [{ table: 'log_names_day', from: floorTo(period.from, DAY_MS), to: period.to }];
    const best: NameCount[] = [];
    let candidates = head;
    let more = readRest;
    for (let at = 0, chunkSize = FIRST_CHUNK; ;) {
      const last = best[limit - 1];
      const next = candidates[at];
      // Strictly below: a name with an equal total could still tie and win on its name.
      if (last !== undefined && next !== undefined && next.bound < last.count) return best.map(withId);
      if (more !== null && at + chunkSize > candidates.length) {
        // The next chunk goes past the head read with the counts: the whole list (retaken meanwhile: sum).
        const whole = await more();
        if (whole === null) return this.summed(segments, deviceId, limit, statusFilter);
        candidates = whole;
        more = null;
        continue;
      }
      if (next === undefined) break;
      if (at >= MAX_BOUNDED_NAMES) return this.summed(segments, deviceId, limit, statusFilter);
      const chunk = candidates.slice(at, at + chunkSize).map((c) => c.name);
      at += chunkSize;
      chunkSize = Math.min(MAX_CHUNK, chunkSize * 2);
      for (const row of await this.exact(segments, deviceId, chunk, statusFilter)) {
        if (row.count > 0) insertRanked(best, row, limit);
      }
    }
    // Every listed name counted: a name not listed could still enter the list only if its bound lets it.
    const last = best[limit - 1];
    if (rest > 0 && (last === undefined || rest >= last.count)) {
      return this.summed(segments, deviceId, limit, statusFilter);
    }
    return best.map(withId);
  }

  private exact(segments: Segment[], deviceId: number, names: string[], statusFilter: string) {
    const params = new Params();
    const nameTest = `name = ANY(${params.add(names)}::text[])`;
    const device = deviceParam(segments, deviceId, params);
    const arms = segments.map(
      (s) =>
        `SELECT name, status, company_id, kind, count FROM ${s.table} WHERE ${
          s.table === 'log_names_hour' ? '' : `device_id = ${device} AND `
        }${nameTest} AND bucket >= ${params.add(s.from)} AND bucket < ${params.add(s.to)} ${statusFilter}`,
    );
    return rows<NameCount>(
      this.pool,
      `SELECT name, max(company_id) AS "companyId", max(kind) AS kind, sum(count) AS count, ${BLOCKED_SUM} AS blocked
       FROM (${arms.join(' UNION ALL ')}) s GROUP BY name`,
      params.values,
    );
  }

  /** The plain sum of every name's rollup rows (the bounded search's fallback). */
  private async summed(
    segments: Segment[],
    deviceId: number,
    limit: number,
    statusFilter: string,
  ): Promise<TopName[]> {
    const params = new Params();
    const device = deviceParam(segments, deviceId, params);
    const arms = segments.map(
      (s) =>
        `SELECT name, status, company_id, kind, count FROM ${s.table} WHERE ${
          s.table === 'log_names_hour' ? '' : `device_id = ${device} AND `
        }bucket >= ${params.add(s.from)} AND bucket < ${params.add(s.to)} ${statusFilter}`,
    );
    const found = await rows<NameCount>(
      this.pool,
      `SELECT name, max(company_id) AS "companyId", max(kind) AS kind, sum(count) AS count, ${BLOCKED_SUM} AS blocked
       FROM (${arms.join(' UNION ALL ')}) s GROUP BY name ORDER BY count DESC, name LIMIT ${limit}`,
      params.values,
    );
    return found.map(withId);
  }
}

/** The device's parameter, when a segment reads per-device rows (log_names_hour has every device's only). */
function deviceParam(segments: Segment[], deviceId: number, params: Params): string {
  return segments.some((s) => s.table !== 'log_names_hour') ? params.add(deviceId) : '';
}

function withId(row: NameCount): TopName {
  return { nameId: 0, ...row };
}

function before(a: NameCount, b: NameCount): boolean {
  return a.count > b.count || (a.count === b.count && a.name < b.name);
}

/** Inserts `entry` into `list` (count desc, then name), keeping at most `limit` entries. */
function insertRanked(list: NameCount[], entry: NameCount, limit: number): void {
  let at = list.length;
  while (at > 0 && !before(list[at - 1] as NameCount, entry)) at--;
  if (at >= limit) return;
  list.splice(at, 0, entry);
  if (list.length > limit) list.length = limit;
}

/** `counted` in rank order (count desc, then name), at most `limit`. */
function ranked(counted: NameCount[], limit: number): TopName[] {
  return [...counted]
    .sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))
    .slice(0, limit)
    .map(withId);
}
