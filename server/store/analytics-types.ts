/** What the analytics readers answer: summaries, series, rankings and a company's detail, by id. */
import type { TopName } from './top-names.js';

export type SeriesRange = '24h' | '7d' | '30d';

export interface Summary {
  total: number;
  blocked: number;
  /** blocked / total, 0 when there were no queries. */
  blockedShare: number;
  /**
   * Tracking attempts: queries for tracker endpoints (NameKind.tracker at query time), blocked or not.
   * It measures how often devices try to track, independent of how well blocking works. Use of a
   * company's own services (its app, site, CDN) is not tracking: that is `serviceUses`.
   */
  trackingAttempts: number;
  /** Queries for the services of known companies (NameKind.service). */
  serviceUses: number;
  /** Devices with at least one query in the period (hour-rounded). */
  devicesActive: number;
}

export interface SeriesPoint {
  time: number;
  total: number;
  /** Counts by status name (blocked, forwarded, cached …); absent statuses are 0. */
  byStatus: Record<string, number>;
}

export interface Series {
  range: SeriesRange;
  stepMs: number;
  points: SeriesPoint[];
}

export interface TopEntry {
  id: number;
  count: number;
  blocked: number;
  /** Of `count`: queries for tracker endpoints. */
  tracking: number;
  /** Of `count`: queries for services. */
  uses: number;
}

/** Within one tracker category, the companies whose tracker endpoints were asked for. */
export interface CategoryCompany {
  categoryId: number;
  companyId: number;
  count: number;
  blocked: number;
}

export interface DeviceRank {
  deviceId: number;
  trackingAttempts: number;
  blocked: number;
  total: number;
}

export interface CompanyDetail {
  companyId: number;
  total: number;
  blocked: number;
  /** Of `total`: queries for the company's tracker endpoints, and for its services. */
  tracking: number;
  uses: number;
  devices: Array<{ deviceId: number; count: number; blocked: number; tracking: number; uses: number }>;
  names: TopName[];
}

/** A device's figures for the device list and its page: counts, and who tracks it most. */
export interface DeviceFigures extends DeviceRank {
  /** Of `total`: queries for services. */
  serviceUses: number;
  /** Companies ranked by the queries for their tracker endpoints. */
  topCompanies: TopEntry[];
}
