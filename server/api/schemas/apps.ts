/**
 * Apps: the app catalog, the apps seen on a device with the trackers linked to them by time, and the
 * iOS App Privacy Report import that names the exact app behind each host.
 */
import { Type, type Static } from 'typebox';
import { APP_PLATFORMS } from '../../trackers/apps/app-platforms.js';
import { Nullable, TimeMs } from './common.js';

export const AppPlatform = Type.Enum(APP_PLATFORMS, { description: 'Where the app runs' });

export const CatalogAppEntry = Type.Object({
  key: Type.String({ description: 'Stable catalog key, e.g. "tiktok"' }),
  name: Type.String(),
  company: Type.String({ description: 'Owner or brand people know' }),
  platforms: Type.Array(AppPlatform),
  hosts: Type.Array(Type.String(), { description: 'Its own host names; each covers its subdomains' }),
  source: Type.String({ description: 'Public page the entry rests on' }),
});
export type CatalogAppEntry = Static<typeof CatalogAppEntry>;

export const AppCatalogList = Type.Object({
  items: Type.Array(CatalogAppEntry),
  hosts: Type.Integer({ description: 'Host names the catalog matches' }),
});
export type AppCatalogList = Static<typeof AppCatalogList>;

const TrackerCompany = Nullable(Type.Object({ key: Type.String(), name: Type.String() }));

/** A tracker host seen near an app: "38 of 40 times within 2 s of TikTok's own hosts". */
export const AppTrackerLink = Type.Object({
  name: Type.String({ description: 'The tracker host' }),
  company: TrackerCompany,
  together: Type.Integer({ description: 'Contacts within the window of a query of this app' }),
  total: Type.Integer({ description: 'All contacts of this tracker from the device' }),
  likely: Type.Boolean({ description: 'Enough evidence to say the app likely made the contacts' }),
  lastSeen: TimeMs,
});
export type AppTrackerLink = Static<typeof AppTrackerLink>;

export const DeviceApp = Type.Object({
  key: Type.String(),
  name: Type.String(),
  company: Type.String(),
  platforms: Type.Array(AppPlatform),
  firstSeen: TimeMs,
  lastSeen: TimeMs,
  queries: Type.Integer({ description: "Queries for the app's own hosts" }),
  trackers: Type.Array(AppTrackerLink),
});
export type DeviceApp = Static<typeof DeviceApp>;

export const UnlinkedTracker = Type.Object({
  name: Type.String(),
  company: TrackerCompany,
  total: Type.Integer(),
  lastSeen: TimeMs,
});
export type UnlinkedTracker = Static<typeof UnlinkedTracker>;

export const ReportedHost = Type.Object({
  host: Type.String(),
  hits: Type.Integer(),
  lastSeen: TimeMs,
  owner: Type.String({ description: "The domain's owner as iOS named it ('' when it did not)" }),
  tracker: Type.Boolean({ description: 'tracksink knows the host as a tracker' }),
  company: TrackerCompany,
  viaWebsite: Type.Boolean({ description: 'Contacted for a website the app showed' }),
});
export type ReportedHost = Static<typeof ReportedHost>;

/** One iOS app from imported App Privacy Reports. */
export const ReportedApp = Type.Object({
  bundleId: Type.String(),
  appKey: Nullable(Type.String({ description: 'Catalog key when the catalog knows the bundle id' })),
  name: Type.String({ description: 'Catalog name, else the bundle id' }),
  hits: Type.Integer(),
  trackerHits: Type.Integer(),
  lastSeen: TimeMs,
  hosts: Type.Array(ReportedHost),
  dataAccess: Type.Array(Type.Object({ category: Type.String(), count: Type.Integer(), lastSeen: TimeMs })),
});
export type ReportedApp = Static<typeof ReportedApp>;

export const PrivacyReportInfo = Type.Object({
  id: Type.Integer(),
  importedAt: TimeMs,
  fileName: Nullable(Type.String()),
  networkRecords: Type.Integer(),
  accessRecords: Type.Integer(),
  newRecords: Type.Integer(),
  firstTime: Nullable(TimeMs),
  lastTime: Nullable(TimeMs),
});
export type PrivacyReportInfo = Static<typeof PrivacyReportInfo>;

export const DeviceApps = Type.Object({
  deviceId: Type.Integer(),
  windowMs: Type.Integer({ description: 'How close in time a tracker contact and an app query must be' }),
  apps: Type.Array(DeviceApp),
  otherTrackers: Type.Array(UnlinkedTracker, { description: 'Trackers no known app was near' }),
  reported: Type.Array(ReportedApp),
  reports: Type.Array(PrivacyReportInfo),
});
export type DeviceApps = Static<typeof DeviceApps>;

export const PrivacyReportBody = Type.Object(
  {
    fileName: Type.Optional(Type.String({ maxLength: 255 })),
    report: Type.String({
      minLength: 1,
      description: 'The .ndjson text saved from Settings → Privacy & Security → App Privacy Report',
    }),
  },
  { additionalProperties: false },
);
export type PrivacyReportBody = Static<typeof PrivacyReportBody>;

export const PrivacyReportResult = Type.Object({
  networkRecords: Type.Integer(),
  accessRecords: Type.Integer(),
  newRecords: Type.Integer({ description: 'Records not already known from an earlier import' }),
  skipped: Type.Integer({ description: 'Records of a kind tracksink does not read' }),
  apps: Type.Integer(),
  domains: Type.Integer(),
  firstTime: Nullable(TimeMs),
  lastTime: Nullable(TimeMs),
});
export type PrivacyReportResult = Static<typeof PrivacyReportResult>;
