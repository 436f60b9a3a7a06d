/**
 * Which app a tracker contact comes from, by time: a DNS sinkhole sees names, not apps, but a phone asks
 * for TikTok's API and for TikTok's trackers within moments of each other. For each tracker contact this
 * counts the apps that had a query of their own on the same device within `windowMs` before or after
 * it; repeated over many contacts, "38 of 40 times within 2 s of TikTok's API" is evidence a person can
 * weigh, where one coincidence is not.
 *
 * Pure logic over rows already read from the log: no SQL, no clock. The store (store/app-rollups.ts)
 * feeds it a pass's rows plus the rows around them and writes the sums.
 */

/** One query-log row as the linker needs it. */
export interface LinkRow {
  id: number;
  time: number;
  deviceId: number;
  nameId: number;
  companyId: number;
  /** Index into the app catalog of the app whose host this name is, -1 none. */
  app: number;
  /** The name is a tracker endpoint (kind 1, or a tracking category before the kind existed). */
  tracker: boolean;
}

export interface AppActivity {
  deviceId: number;
  app: number;
  firstSeen: number;
  lastSeen: number;
  queries: number;
}

export interface TrackerContacts {
  deviceId: number;
  nameId: number;
  companyId: number;
  firstSeen: number;
  lastSeen: number;
  total: number;
}

export interface TrackerAppLink {
  deviceId: number;
  nameId: number;
  app: number;
  /** Contacts of this tracker with a query of this app on the device within the window. */
  together: number;
}

export interface LinkSums {
  apps: AppActivity[];
  trackers: TrackerContacts[];
  links: TrackerAppLink[];
}

/**
 * Sums the rows with `counted(row)` true; the others are context only (rows just before the pass, or
 * too recent to have their whole window yet), used as neighbours but not counted. A tracker row is never
 * an app signal: an SDK host in many apps (graph.facebook.com) says nothing about which app is open.
 */
export function linkRows(
  rows: readonly LinkRow[],
  windowMs: number,
  counted: (row: LinkRow) => boolean,
): LinkSums {
  const byDevice = new Map<number, LinkRow[]>();
  for (const row of rows) {
    let list = byDevice.get(row.deviceId);
    if (!list) byDevice.set(row.deviceId, (list = []));
    list.push(row);
  }
  const apps = new Map<string, AppActivity>();
  const trackers: TrackerContacts[] = [];
  const links = new Map<string, TrackerAppLink>();
  for (const [deviceId, list] of byDevice) {
    // Row ids follow arrival, times nearly so; sort by time to make the window a sliding range.
    list.sort((a, b) => a.time - b.time || a.id - b.id);
    const signals = list.filter((row) => row.app >= 0 && !row.tracker);
    // Keyed by name id within the device: a pass of tracker contacts builds no key string per row.
    const deviceTrackers = new Map<number, TrackerContacts>();
    let low = 0;
    for (const row of list) {
      if (!counted(row)) continue;
      if (row.app >= 0 && !row.tracker) {
        const key = `${deviceId}:${row.app}`;
        const seen = apps.get(key);
        if (seen) {
          seen.firstSeen = Math.min(seen.firstSeen, row.time);
          seen.lastSeen = Math.max(seen.lastSeen, row.time);
          seen.queries++;
        } else apps.set(key, { deviceId, app: row.app, firstSeen: row.time, lastSeen: row.time, queries: 1 });
      }
      if (!row.tracker) continue;
      const contacts = deviceTrackers.get(row.nameId);
      if (contacts) {
        contacts.firstSeen = Math.min(contacts.firstSeen, row.time);
        contacts.lastSeen = Math.max(contacts.lastSeen, row.time);
        contacts.total++;
        contacts.companyId = row.companyId || contacts.companyId;
      } else {
        const added: TrackerContacts = {
          deviceId,
          nameId: row.nameId,
          companyId: row.companyId,
          firstSeen: row.time,
          lastSeen: row.time,
          total: 1,
        };
        deviceTrackers.set(row.nameId, added);
        trackers.push(added);
      }
      while (low < signals.length && (signals[low] as LinkRow).time < row.time - windowMs) low++;
      // Most contacts have no app query near them (and a device with no app signals has none at all).
      if (low >= signals.length || (signals[low] as LinkRow).time > row.time + windowMs) continue;
      const near = new Set<number>();
      for (let i = low; i < signals.length; i++) {
        const signal = signals[i] as LinkRow;
        if (signal.time > row.time + windowMs) break;
        near.add(signal.app);
      }
      for (const app of near) {
        const key = `${deviceId}:${row.nameId}:${app}`;
        const link = links.get(key);
        if (link) link.together++;
        else links.set(key, { deviceId, nameId: row.nameId, app, together: 1 });
      }
    }
  }
  return { apps: [...apps.values()], trackers, links: [...links.values()] };
}

/** Evidence strong enough to say "likely": most contacts near the app, and more than a couple. */
export function isLikely(together: number, total: number): boolean {
  return together >= 3 && together * 2 > total;
}
