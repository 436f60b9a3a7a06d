#!/usr/bin/env node
/**
 * Builds the shipped tracker database (blocklists/trackerdb/companiesdb.json) from a snapshot of AdGuard's
 * companiesdb (`dist/trackers.json` + `dist/companies.json`, CC BY-SA 4.0). Run by hand when the snapshot
 * changes:
 *
 *   node scripts/build-trackerdb.mjs [trackers.json companies.json]
 *
 * Default input: ../shared/fixtures/trackers/companiesdb.{trackers,companies}.json (when present).
 * The output keeps the upstream shape (so one parser reads both the shipped file and a refreshed copy)
 * but drops what tracksink never shows (company descriptions, empty fields), and writes one entry per
 * line so a problem in it can be reported with its line number. The derived file stays under
 * CC BY-SA 4.0 (see blocklists/trackerdb/LICENSE).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '../shared/fixtures/trackers');
const [
  trackersPath = join(shared, 'companiesdb.trackers.json'),
  companiesPath = join(shared, 'companiesdb.companies.json'),
] = process.argv.slice(2);
for (const path of [trackersPath, companiesPath]) {
  if (!existsSync(path)) {
    console.error(`build-trackerdb: ${path} not found (pass the two companiesdb files as arguments)`);
    process.exit(1);
  }
}
const trackersDoc = JSON.parse(readFileSync(trackersPath, 'utf8'));
const companiesDoc = JSON.parse(readFileSync(companiesPath, 'utf8'));

const sortedEntries = (obj) => Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const usedCompanies = new Set();
const trackers = [];
for (const [id, t] of sortedEntries(trackersDoc.trackers)) {
  const entry = { name: t.name, categoryId: t.categoryId };
  if (t.url) entry.url = t.url;
  if (t.companyId) {
    entry.companyId = t.companyId;
    usedCompanies.add(t.companyId);
  }
  trackers.push(`    ${JSON.stringify(id)}: ${JSON.stringify(entry)}`);
}
const companies = [];
for (const [id, c] of sortedEntries(companiesDoc.companies)) {
  if (!usedCompanies.has(id)) continue; // a company no tracker names is never shown
  const entry = { name: c.name };
  if (c.websiteUrl) entry.websiteUrl = c.websiteUrl;
  companies.push(`    ${JSON.stringify(id)}: ${JSON.stringify(entry)}`);
}
const domains = sortedEntries(trackersDoc.trackerDomains).map(
  ([domain, id]) => `    ${JSON.stringify(domain)}: ${JSON.stringify(id)}`,
);
const header = {
  source: 'https://github.com/AdguardTeam/companiesdb (dist/trackers.json, dist/companies.json)',
  licence: 'CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)',
  derivedBy: 'scripts/build-trackerdb.mjs (company descriptions dropped, entries sorted)',
};
const text = [
  '{',
  `  "about": ${JSON.stringify(header)},`,
  `  "timeUpdated": ${JSON.stringify(trackersDoc.timeUpdated ?? '')},`,
  `  "categories": ${JSON.stringify(trackersDoc.categories)},`,
  '  "trackers": {',
  trackers.join(',\n'),
  '  },',
  '  "companies": {',
  companies.join(',\n'),
  '  },',
  '  "trackerDomains": {',
  domains.join(',\n'),
  '  }',
  '}',
  '',
].join('\n');
const out = join(root, 'blocklists/trackerdb/companiesdb.json');
writeFileSync(out, text);
console.log(
  `build-trackerdb: wrote ${out} (${trackers.length} trackers, ${companies.length} companies, ${domains.length} domains, ${(text.length / 1024).toFixed(0)} KiB; snapshot ${trackersDoc.timeUpdated})`,
);
