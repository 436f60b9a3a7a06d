/**
 * The read side of the query log as the dashboard asks it: summaries, series, rankings, a company's
 * detail, the log page and the live tail. Two implementations with the same answers: `Analytics`
 * (analytics.ts, this replica's querylog.db, synchronous) and `PgAnalytics` (pg/pg-analytics.ts, the
 * whole network's log in PostgreSQL when TRACKSINK_DATABASE_URL is set, asynchronous). Callers await
 * every answer (api/adapters/analytics-view.ts), so either fits.
 *
 * Device ids in the answers are the shared configuration's ids (the ones the device registry knows):
 * each row is stored with the id its replica's registry gave, and replicas share their devices through
 * the replicated configuration, so one phone that asks both replicas is one device here.
 */
import type {
  CategoryCompany,
  CompanyDetail,
  DeviceFigures,
  DeviceRank,
  Series,
  SeriesRange,
  Summary,
  TopEntry,
} from './analytics-types.js';
import type { AppsReader } from './app-rollups.js';
import type { QueryFilter, QueryPage, QueryRow } from './query-log-reader.js';
import type { Period } from './rollup-periods.js';
import type { TopName, TopOptions } from './top-names.js';

export type Awaitable<T> = T | Promise<T>;

export interface LogAnalytics {
  summary(period: Period, deviceId?: number): Awaitable<Summary>;
  /** Counts split by status: per 10 min over 24 h, per hour over 7 days, per day over 30 days. */
  timeSeries(range: SeriesRange, options?: { deviceId?: number; now?: number }): Awaitable<Series>;
  topCompanies(period: Period, options?: TopOptions): Awaitable<TopEntry[]>;
  topCategories(period: Period, options?: TopOptions): Awaitable<TopEntry[]>;
  topApps(period: Period, options?: TopOptions): Awaitable<TopEntry[]>;
  /** Per tracker category, the companies whose tracker endpoints made its queries, most first. */
  companiesByCategory(
    period: Period,
    options?: { deviceId?: number; perCategory?: number },
  ): Awaitable<CategoryCompany[]>;
  /** Most queried names; `blockedOnly` ranks by blocked queries. */
  topNames(period: Period, options?: TopOptions & { blockedOnly?: boolean }): Awaitable<TopName[]>;
  /** The top names and the top blocked names together; `which` skips the list not needed. */
  topNameLists(
    period: Period,
    options?: TopOptions,
    which?: 'all' | 'blocked' | 'both',
  ): Awaitable<{ all: TopName[] | null; blocked: TopName[] | null }>;
  /** Devices ranked by tracking attempts (then by total). */
  devicesByTracking(period: Period, limit?: number): Awaitable<DeviceRank[]>;
  /**
   * Every device (≥ 1) with queries in the period, or only `onlyId`: its counts and the `companies`
   * companies whose tracker endpoints it asked most (the device list, a device's page).
   */
  deviceFigures(period: Period, options: { onlyId?: number; companies: number }): Awaitable<DeviceFigures[]>;
  /** Per device, its tracker queries per category. */
  categoriesByDevice(period: Period): Awaitable<Map<number, TopEntry[]>>;
  /** For one company: which devices contacted it and which names, how often. */
  companyDetail(companyId: number, period: Period, limit?: number): Awaitable<CompanyDetail>;
  /** The query log page: newest first, filtered, keyset-paginated by id. */
  queries(filter?: QueryFilter): Awaitable<QueryPage>;
  /** Live tail: rows newer than `afterId`, oldest first. */
  queriesAfter(afterId: number, limit?: number): Awaitable<QueryRow[]>;
  /** Highest id in the log (where a live tail starts), 0 when empty. */
  lastId(): Awaitable<number>;
  /** The Apps page's sums when they are read from here (PostgreSQL: the whole network's), else absent. */
  readonly apps?: AppsReader;
  close(): Awaitable<void>;
}
