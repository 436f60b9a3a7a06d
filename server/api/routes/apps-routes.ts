/**
 * Apps: the app catalog (GET /api/apps), the apps seen on a device with the trackers linked to them by
 * time and by imported iOS App Privacy Reports (GET /api/devices/:id/apps), and the import itself
 * (POST /api/devices/:id/privacy-report: all records or none).
 */
import { AppRollups, APP_WINDOW_MS, type TrackerLinkRow } from '../../store/app-rollups.js';
import { type AppCatalog, shippedAppCatalog } from '../../trackers/apps/app-catalog.js';
import { isLikely } from '../../trackers/apps/app-linker.js';
import { PrivacyReportError, parsePrivacyReport } from '../../trackers/apps/privacy-report.js';
import type { App, RouteContext } from '../context.js';
import { badRequest, notFound, unavailable } from '../http/errors.js';
import {
  AppCatalogList,
  type DeviceApp,
  DeviceApps,
  PrivacyReportBody,
  PrivacyReportResult,
  type ReportedApp,
  type UnlinkedTracker,
} from '../schemas/apps.js';
import { ErrorResponse, IdParams } from '../schemas/common.js';

/** A privacy report covers 7 days; a busy phone's file stays well under this. */
const REPORT_BODY_LIMIT = 32 * 1024 * 1024;

export function appsRoutes(app: App, context: RouteContext): void {
  const catalog: AppCatalog = shippedAppCatalog();
  const reports = context.deps.repos.privacyReports;
  // Reads the rollups the inference job (services.ts) keeps in querylog.db.
  const rollups = new AppRollups({ dataDir: context.deps.config.dataDir, catalog, readOnly: true });
  app.addHook('onClose', async () => rollups.stop());

  const company = (idOrKey: number): { key: string; name: string } | null => {
    if (idOrKey === 0) return null;
    const found = context.deps.catalog?.company(idOrKey);
    return found ? { key: found.key, name: found.name } : null;
  };
  const device = (id: number): void => {
    if (!context.deps.devices) throw unavailable('the device registry');
    if (!context.deps.devices.get(id)) throw notFound(`there is no device ${id}`);
  };

  app.get('/api/apps', { schema: { tags: ['apps'], response: { 200: AppCatalogList } } }, async () => ({
    items: catalog.apps.map((entry) => ({
      key: entry.key,
      name: entry.name,
      company: entry.company,
      platforms: entry.platforms,
      hosts: entry.hosts,
      source: entry.source,
    })),
    hosts: catalog.hostCount,
  }));

  app.get(
    '/api/devices/:id/apps',
    {
      schema: {
        tags: ['apps'],
        params: IdParams,
        response: { 200: DeviceApps, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const id = request.params.id;
      device(id);
      // With PostgreSQL the whole network's sums, else this replica's querylog.db.
      const reader = context.deps.analytics?.apps ?? rollups;
      const [links, seen] = await Promise.all([reader.trackerLinks(id), reader.deviceApps(id)]);
      const apps: DeviceApp[] = seen.flatMap((row) => {
        const entry = catalog.byKey(row.appKey);
        if (!entry) return [];
        return [
          {
            key: entry.key,
            name: entry.name,
            company: entry.company,
            platforms: entry.platforms,
            firstSeen: row.firstSeen,
            lastSeen: row.lastSeen,
            queries: row.queries,
            trackers: trackersOf(links, entry.key),
          },
        ];
      });
      const linked = new Set(links.filter((l) => l.appKey !== null && l.together > 0).map((l) => l.nameId));
      const otherTrackers: UnlinkedTracker[] = [];
      for (const link of links) {
        if (linked.has(link.nameId) || otherTrackers.some((t) => t.name === link.name)) continue;
        otherTrackers.push({
          name: link.name,
          company: company(link.companyId),
          total: link.total,
          lastSeen: link.lastSeen,
        });
      }
      return {
        deviceId: id,
        windowMs: APP_WINDOW_MS,
        apps,
        otherTrackers: otherTrackers.slice(0, 50),
        reported: reportedApps(id),
        reports: reports.reports(id),
      };
    },
  );

  app.post(
    '/api/devices/:id/privacy-report',
    {
      bodyLimit: REPORT_BODY_LIMIT,
      schema: {
        tags: ['apps'],
        params: IdParams,
        body: PrivacyReportBody,
        response: { 200: PrivacyReportResult, 400: ErrorResponse, 404: ErrorResponse, 503: ErrorResponse },
      },
    },
    async (request) => {
      const id = request.params.id;
      device(id);
      let parsed;
      try {
        parsed = parsePrivacyReport(request.body.report);
      } catch (error) {
        if (error instanceof PrivacyReportError) {
          throw badRequest(
            `this is not a readable App Privacy Report: ${error.message}; nothing was imported`,
          );
        }
        throw error;
      }
      const summary = reports.import(id, parsed, request.body.fileName ?? null, context.now());
      return {
        networkRecords: summary.networkRecords,
        accessRecords: summary.accessRecords,
        newRecords: summary.newRecords,
        skipped: summary.skipped,
        apps: summary.apps,
        domains: summary.domains,
        firstTime: summary.firstTime,
        lastTime: summary.lastTime,
      };
    },
  );

  function trackersOf(links: TrackerLinkRow[], appKey: string): DeviceApp['trackers'] {
    // The app a tracker was seen with most often is the one "likely" behind it; others only "seen near".
    const best = new Map<number, number>();
    for (const link of links) best.set(link.nameId, Math.max(best.get(link.nameId) ?? 0, link.together));
    return links
      .filter((link) => link.appKey === appKey && link.together > 0)
      .map((link) => ({
        name: link.name,
        company: company(link.companyId),
        together: link.together,
        total: link.total,
        likely: isLikely(link.together, link.total) && link.together === best.get(link.nameId),
        lastSeen: link.lastSeen,
      }))
      .sort((a, b) => Number(b.likely) - Number(a.likely) || b.together - a.together);
  }

  function reportedApps(deviceId: number): ReportedApp[] {
    const byBundle = new Map<string, ReportedApp>();
    const entryFor = (bundleId: string): ReportedApp => {
      let entry = byBundle.get(bundleId);
      if (!entry) {
        const known = catalog.byBundleId(bundleId);
        entry = {
          bundleId,
          appKey: known?.key ?? null,
          name: known?.name ?? bundleId,
          hits: 0,
          trackerHits: 0,
          lastSeen: 0,
          hosts: [],
          dataAccess: [],
        };
        byBundle.set(bundleId, entry);
      }
      return entry;
    };
    for (const host of reports.hosts(deviceId)) {
      const entry = entryFor(host.bundleId);
      const described = context.deps.catalog?.describe(host.domain);
      const tracker = Boolean(
        described && (described.endpoint?.use === 'tracking' || described.category?.tracking === true),
      );
      entry.hits += host.hits;
      if (tracker) entry.trackerHits += host.hits;
      entry.lastSeen = Math.max(entry.lastSeen, host.lastSeen);
      entry.hosts.push({
        host: host.domain,
        hits: host.hits,
        lastSeen: host.lastSeen,
        owner: host.domainOwner,
        tracker,
        company: described?.company ? { key: described.company.key, name: described.company.name } : null,
        viaWebsite: host.viaWebsite,
      });
    }
    for (const access of reports.access(deviceId)) {
      const entry = entryFor(access.bundleId);
      entry.lastSeen = Math.max(entry.lastSeen, access.lastSeen);
      entry.dataAccess.push({ category: access.category, count: access.count, lastSeen: access.lastSeen });
    }
    return [...byBundle.values()].sort((a, b) => b.trackerHits - a.trackerHits || b.hits - a.hits);
  }
}
