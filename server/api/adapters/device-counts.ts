/**
 * A device's counts with its merged ids' (devices/registry.ts aliases): the query log keeps the number a
 * device had when it asked, so a device two replicas numbered before they joined it, or an IP-only device
 * later found by its MAC, has rows under each number. The device list and a device's page add them up.
 */
import type { AnalyticsView, DeviceCounts } from './analytics-view.js';

/** Companies ranked as the log ranks them: by tracking attempts, then queries. */
const TOP_COMPANIES = 3;

function add(into: DeviceCounts, more: DeviceCounts): DeviceCounts {
  const companies = new Map(into.topCompanies.map((row) => [row.companyId, { ...row }]));
  for (const row of more.topCompanies) {
    const had = companies.get(row.companyId);
    if (had === undefined) companies.set(row.companyId, { ...row });
    else {
      had.queries += row.queries;
      had.trackingAttempts += row.trackingAttempts;
      had.serviceUses += row.serviceUses;
    }
  }
  return {
    queries: into.queries + more.queries,
    blocked: into.blocked + more.blocked,
    trackingAttempts: into.trackingAttempts + more.trackingAttempts,
    serviceUses: into.serviceUses + more.serviceUses,
    topCompanies: [...companies.values()]
      .sort((a, b) => b.trackingAttempts - a.trackingAttempts || b.queries - a.queries)
      .slice(0, TOP_COMPANIES),
  };
}

/** Counts per live device id: each merged id's counts added to the device it became. */
export function foldAliasCounts(
  counts: ReadonlyMap<number, DeviceCounts>,
  aliases: ReadonlyMap<number, number>,
): Map<number, DeviceCounts> {
  const out = new Map<number, DeviceCounts>();
  for (const [id, row] of counts) {
    const live = aliases.get(id) ?? id;
    const had = out.get(live);
    out.set(live, had === undefined ? row : add(had, row));
  }
  return out;
}

/**
 * Counts for the device list (`onlyId` undefined) or for one device, its merged ids included; one read per
 * merged id for a single device, so its page still never ranks every device.
 */
export async function deviceCountsWithAliases(
  view: AnalyticsView | null,
  period: Parameters<AnalyticsView['devices']>[0],
  aliases: ReadonlyMap<number, number>,
  onlyId?: number,
): Promise<Map<number, DeviceCounts>> {
  if (view === null) return new Map();
  if (onlyId === undefined) return foldAliasCounts(await view.devices(period), aliases);
  const ids = [onlyId, ...[...aliases].filter(([, into]) => into === onlyId).map(([oldId]) => oldId)];
  const parts = await Promise.all(ids.map((id) => view.devices(period, id)));
  return foldAliasCounts(new Map(parts.flatMap((part) => [...part])), aliases);
}
