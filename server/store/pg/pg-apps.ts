/**
 * The Apps page over PostgreSQL: each replica's app inference sums (store/app-rollups.ts) travel with its
 * log batches (log-shipper.ts, `shippedAppSums` below) into PG migration 0006's tables, and `PgApps`
 * reads them summed over replicas in the SQLite reader's row shapes, so every replica's Apps page shows
 * the apps and tracker links of the whole network.
 *
 * Links are made per replica: an app query and a tracker contact of one device count as "together"
 * when the same replica answered both (a device that alternates between two replicas within the 2 s
 * window links less often than with one).
 */
import type { AppsReader, DeviceAppRow, TrackerLinkRow } from '../app-rollups.js';
import type { LinkSums } from '../../trackers/apps/app-linker.js';
import { copyTextField } from './pg-copy.js';
import type { PgPool } from './pg-connect.js';
import { rows } from './pg-read.js';

/** One pass's sums as COPY text lines for the staging tables of pg-rollups.ts (APP_COPIES). */
export interface ShippedAppSums {
  apps: string[];
  trackers: string[];
  links: string[];
}

/**
 * A pass's sums with their app keys and tracker names (`appKey` of a catalog index, `nameOf` a name id
 * of the replica's own log) as COPY lines; sums of an unknown app or name are left out.
 */
export function shippedAppSums(
  sums: LinkSums,
  appKey: (app: number) => string,
  nameOf: (nameId: number) => string,
): ShippedAppSums {
  const key = (app: number) => copyTextField(appKey(app));
  const name = (nameId: number) => copyTextField(nameOf(nameId));
  const out: ShippedAppSums = { apps: [], trackers: [], links: [] };
  for (const a of sums.apps) {
    if (key(a.app) === '') continue;
    out.apps.push(`${a.deviceId}\t${key(a.app)}\t${a.firstSeen}\t${a.lastSeen}\t${a.queries}\n`);
  }
  for (const t of sums.trackers) {
    if (name(t.nameId) === '') continue;
    out.trackers.push(
      `${t.deviceId}\t${name(t.nameId)}\t${t.companyId}\t${t.firstSeen}\t${t.lastSeen}\t${t.total}\n`,
    );
  }
  for (const l of sums.links) {
    if (key(l.app) === '' || name(l.nameId) === '') continue;
    out.links.push(`${l.deviceId}\t${key(l.app)}\t${name(l.nameId)}\t${l.together}\n`);
  }
  return out;
}

export class PgApps implements AppsReader {
  constructor(private readonly pool: PgPool) {}

  deviceApps(deviceId: number): Promise<DeviceAppRow[]> {
    return rows<DeviceAppRow>(
      this.pool,
      `SELECT app_key AS "appKey", min(first_seen) AS "firstSeen", max(last_seen) AS "lastSeen",
              sum(queries) AS queries
       FROM log_device_apps WHERE device_id = $1 GROUP BY app_key ORDER BY "lastSeen" DESC, app_key`,
      [deviceId],
    );
  }

  /**
   * As AppRollups.trackerLinks: every tracker the device contacted (most contacts first) with each app
   * seen near it. Names have no ids here: `nameId` numbers the names of this answer (1, 2, …), which is
   * all the Apps page groups by.
   */
  async trackerLinks(deviceId: number, limit = 500): Promise<TrackerLinkRow[]> {
    const found = await rows<Omit<TrackerLinkRow, 'nameId'>>(
      this.pool,
      `WITH t AS (
         SELECT name, max(company_id) AS company_id, min(first_seen) AS first_seen,
                max(last_seen) AS last_seen, sum(total) AS total
         FROM log_device_trackers WHERE device_id = $1 GROUP BY name ORDER BY total DESC, name LIMIT $2),
       l AS (
         SELECT app_key, name, sum(together) AS together FROM log_tracker_app_links
         WHERE device_id = $1 GROUP BY app_key, name)
       SELECT l.app_key AS "appKey", t.name, t.company_id AS "companyId", coalesce(l.together, 0) AS together,
              t.total, t.first_seen AS "firstSeen", t.last_seen AS "lastSeen"
       FROM t LEFT JOIN l ON l.name = t.name
       ORDER BY t.total DESC, t.name, together DESC`,
      [deviceId, limit],
    );
    const ids = new Map<string, number>();
    return found.map((row) => {
      let nameId = ids.get(row.name);
      if (nameId === undefined) {
        nameId = ids.size + 1;
        ids.set(row.name, nameId);
      }
      return { ...row, nameId };
    });
  }
}
