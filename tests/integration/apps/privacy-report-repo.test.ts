/**
 * App Privacy Report storage in a real tracksink.db: an import is one transaction, so a failure in the
 * middle (here a trigger that refuses one record, standing in for a full disk or a constraint) leaves
 * nothing behind; a good import is counted once however often it is repeated.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PrivacyReportRepo } from '../../../server/store/repos/privacy-report-repo.js';
import { openConfigDb } from '../../../server/store/sqlite.js';
import { parsePrivacyReport } from '../../../server/trackers/apps/privacy-report.js';
import { tempDir } from '../store/log-fixtures.js';

const report = parsePrivacyReport(
  readFileSync(
    join(import.meta.dirname, '..', '..', 'fixtures', 'privacy-report', 'app-privacy-report.ndjson'),
    'utf8',
  ),
);
const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function openDb() {
  const dir = tempDir('privacy-report');
  dirs.push(dir);
  return openConfigDb(join(dir.path, 'tracksink.db'));
}

describe('PrivacyReportRepo', () => {
  it('stores all records or none', () => {
    const db = openDb();
    const repo = new PrivacyReportRepo(db);
    db.exec(`CREATE TRIGGER refuse_one BEFORE INSERT ON privacy_report_network
      WHEN NEW.domain = 'graph.instagram.com' BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END`);
    expect(() => repo.import(1, report, 'a.ndjson', 1000)).toThrow(/disk full/);
    for (const table of ['privacy_reports', 'privacy_report_network', 'privacy_report_access']) {
      expect(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), table).toBe(0);
    }
    db.exec('DROP TRIGGER refuse_one');
    expect(repo.import(1, report, 'a.ndjson', 2000).newRecords).toBe(16);
    db.close();
  });

  it('keeps devices apart and counts a repeated import once', () => {
    const db = openDb();
    const repo = new PrivacyReportRepo(db);
    repo.import(1, report, null, 1000);
    repo.import(1, report, null, 2000);
    repo.import(2, { ...report, network: report.network.slice(0, 2), access: [] }, null, 3000);
    const hosts = repo.hosts(1);
    expect(hosts.find((h) => h.domain === 'scontent-ams2-1.cdninstagram.com')).toMatchObject({
      bundleId: 'com.burbn.instagram',
      hits: 203,
    });
    expect(repo.hosts(2).map((h) => h.domain)).toEqual([
      'api22-normal-c-useast1a.tiktokv.com',
      'log22-normal-c-useast1a.tiktokv.com',
    ]);
    expect(repo.access(1)).toEqual(
      expect.arrayContaining([
        { bundleId: 'com.zhiliaoapp.musically', category: 'camera', count: 1, lastSeen: expect.any(Number) },
      ]),
    );
    expect(repo.reports(1).map((r) => r.newRecords)).toEqual([0, 16]);
    db.close();
  });
});
