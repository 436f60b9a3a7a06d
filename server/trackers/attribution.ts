/**
 * Attribution contract: maps a DNS name to the company / category / app that runs it.
 *
 * The DNS hot path calls `attribute()` for every query, so implementations must be
 * synchronous and must not allocate: the caller owns one `AttributionResult` and the
 * implementation fills it in place.
 */

export interface AttributionResult {
  /** Stable catalog id of the company (0 = unknown). */
  companyId: number;
  /** Stable catalog id of the category (0 = unknown). */
  categoryId: number;
  /** Stable catalog id of the app / service (0 = none). */
  appId: number;
  /** The matched name is one of the catalog's tracking endpoints (safe to block unless `dualUse`). */
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
  return { companyId: 0, categoryId: 0, appId: 0, tracking: false, dualUse: false };
}

/** Reset `out` in place (no allocation). */
export function clearAttributionResult(out: AttributionResult): void {
  out.companyId = 0;
  out.categoryId = 0;
  out.appId = 0;
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
