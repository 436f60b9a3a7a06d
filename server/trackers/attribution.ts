/**
 * Attribution contract: maps a DNS name to the company / category / app that runs it.
 *
 * The DNS hot path calls `attribute()` for every query, so implementations must be
 * synchronous and must not allocate: the caller owns one `AttributionResult` and the
 * implementation fills it in place.
 */

/**
 * What a name is, for the insight: only tracker endpoints count as "tracking attempts"; a service is a
 * company's app, site, API or CDN that the household uses. Stored as an integer in the query log and
 * its rollups: never renumber, only append.
 */
export const NameKind = {
  unknown: 0,
  /** Advertising, measurement, social pixel/SDK, telemetry, attribution, session replay, location … */
  tracker: 1,
  /** A company's app, site, API or CDN. */
  service: 2,
} as const;
export type NameKind = (typeof NameKind)[keyof typeof NameKind];

export interface AttributionResult {
  /** Stable catalog id of the company (0 = unknown). */
  companyId: number;
  /** Stable catalog id of the category (0 = unknown). */
  categoryId: number;
  /** Stable catalog id of the app / service (0 = none). */
  appId: number;
  /** Tracker endpoint, service, or unknown: what the insight counts. */
  kind: NameKind;
  /** The matched name is one of the catalog's curated tracking endpoints (blocked by the catalog unless `dualUse`). */
  tracking: boolean;
  /** That endpoint is dual-use: the company's app needs it too (blocking breaks the app). */
  dualUse: boolean;
}

export interface Attribution {
  /**
   * Longest-suffix match of `name` (lower-case, no trailing dot) against every known domain.
   * Fills `out` and returns true on a match; on no match resets `out` and returns false.
   */
  attribute(name: string, out: AttributionResult): boolean;
}

export function emptyAttributionResult(): AttributionResult {
  return { companyId: 0, categoryId: 0, appId: 0, kind: NameKind.unknown, tracking: false, dualUse: false };
}

/** Reset `out` in place (no allocation). */
export function clearAttributionResult(out: AttributionResult): void {
  out.companyId = 0;
  out.categoryId = 0;
  out.appId = 0;
  out.kind = NameKind.unknown;
  out.tracking = false;
  out.dualUse = false;
}

/** An Attribution that never matches (used before the catalog is loaded). */
export const noAttribution: Attribution = {
  attribute(_name: string, out: AttributionResult): boolean {
    clearAttributionResult(out);
    return false;
  },
};
