/**
 * iOS App Privacy Reports in tracksink.db: one import is one transaction (all records or none), and a
 * record already known (same device, app, domain, context and time) is not counted twice.
 */
import type { ParsedPrivacyReport } from '../../trackers/apps/privacy-report.js';
import type { Db } from '../sqlite.js';

export interface ImportSummary {
  reportId: number;
  networkRecords: number;
  accessRecords: number;
  newRecords: number;
  skipped: number;
  apps: number;
  domains: number;
  firstTime: number | null;
  lastTime: number | null;
}

export interface ReportedHost {
  bundleId: string;
  domain: string;
  hits: number;
  firstSeen: number;
  lastSeen: number;
  domainOwner: string;
  /** Some of the contacts were made for a website the app showed (in-app browsing). */
  viaWebsite: boolean;
}

export interface ReportedAccess {
  bundleId: string;
  category: string;
  count: number;
  lastSeen: number;
}

export interface ReportInfo {
  id: number;
  importedAt: number;
  fileName: string | null;
  networkRecords: number;
  accessRecords: number;
  newRecords: number;
  firstTime: number | null;
  lastTime: number | null;
}

export class PrivacyReportRepo {
  constructor(private readonly db: Db) {}

  /** Stores a parsed report for `deviceId`; throws (and stores nothing) on any database error. */
  import(deviceId: number, report: ParsedPrivacyReport, fileName: string | null, now: number): ImportSummary {
    const db = this.db;
    const run = db.transaction((): ImportSummary => {
      const reportId = Number(
        db
          .prepare(
            `INSERT INTO privacy_reports (device_id, imported_at, file_name, network_records, access_records,
               new_records, first_time, last_time) VALUES (?,?,?,?,?,0,?,?)`,
          )
          .run(
            deviceId,
            now,
            fileName,
            report.network.length,
            report.access.length,
            report.firstTime,
            report.lastTime,
          ).lastInsertRowid,
      );
      const addNetwork = db.prepare(
        `INSERT OR IGNORE INTO privacy_report_network (device_id, bundle_id, domain, context, time, first_time,
           hits, domain_owner, initiated_type, report_id) VALUES (?,?,?,?,?,?,?,?,?,?)`,
      );
      const addAccess = db.prepare(
        `INSERT OR IGNORE INTO privacy_report_access (device_id, bundle_id, category, kind, time, report_id)
         VALUES (?,?,?,?,?,?)`,
      );
      let added = 0;
      for (const r of report.network) {
        added += addNetwork.run(
          deviceId,
          r.bundleId,
          r.domain,
          r.context,
          r.time,
          r.firstTime,
          r.hits,
          r.domainOwner,
          r.initiatedType,
          reportId,
        ).changes;
      }
      for (const r of report.access) {
        added += addAccess.run(deviceId, r.bundleId, r.category, r.kind, r.time, reportId).changes;
      }
      db.prepare('UPDATE privacy_reports SET new_records = ? WHERE id = ?').run(added, reportId);
      const bundles = new Set([...report.network, ...report.access].map((r) => r.bundleId));
      return {
        reportId,
        networkRecords: report.network.length,
        accessRecords: report.access.length,
        newRecords: added,
        skipped: report.skipped,
        apps: bundles.size,
        domains: new Set(report.network.map((r) => r.domain)).size,
        firstTime: report.firstTime,
        lastTime: report.lastTime,
      };
    });
    return run.immediate();
  }

  /** Hosts each app contacted on the device, per app most hits first. */
  hosts(deviceId: number): ReportedHost[] {
    return (
      this.db
        .prepare(
          `SELECT bundle_id AS bundleId, domain, sum(hits) AS hits, min(first_time) AS firstSeen,
             max(time) AS lastSeen, max(domain_owner) AS domainOwner, max(context <> '') AS viaWebsite
           FROM privacy_report_network WHERE device_id = ? GROUP BY bundle_id, domain
           ORDER BY bundle_id, hits DESC, domain`,
        )
        .all(deviceId) as Array<Omit<ReportedHost, 'viaWebsite'> & { viaWebsite: number }>
    ).map((row) => ({ ...row, viaWebsite: row.viaWebsite === 1 }));
  }

  /** Data and sensor use per app: how many times each category was used (intervals begun). */
  access(deviceId: number): ReportedAccess[] {
    return this.db
      .prepare(
        `SELECT bundle_id AS bundleId, category, count(*) AS count, max(time) AS lastSeen
         FROM privacy_report_access WHERE device_id = ? AND kind <> 'intervalEnd'
         GROUP BY bundle_id, category ORDER BY bundle_id, count DESC`,
      )
      .all(deviceId) as ReportedAccess[];
  }

  reports(deviceId: number): ReportInfo[] {
    return this.db
      .prepare(
        `SELECT id, imported_at AS importedAt, file_name AS fileName, network_records AS networkRecords,
           access_records AS accessRecords, new_records AS newRecords, first_time AS firstTime,
           last_time AS lastTime FROM privacy_reports WHERE device_id = ? ORDER BY id DESC`,
      )
      .all(deviceId) as ReportInfo[];
  }
}
