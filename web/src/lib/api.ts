// Typed wrappers for every API route the dashboard uses. Pages call these, never fetch() directly.
// Routes, their parameters and answers are checked against the route table generated from the server's
// schemas (api-schema.ts, `npm run gen:api`), through call() in api-client.ts.
import { call, routeUrl, type RouteParts } from './api-client.js';
import { setCsrfToken } from './http.js';
import type {
  CompanyPolicy,
  DeviceUpdateBody,
  ListCreateBody,
  Period,
  QueryFilter,
  RuleCreateBody,
  SettingsPatch,
} from './api-types.js';

/** Durations as the API takes them: "1h", "30m", "7d"; null = until further notice / resume now. */
export type Duration = `${number}${'s' | 'm' | 'h' | 'd'}`;

export const api = {
  auth: {
    status: () => call('GET /api/auth/status'),
    /** First run: `setupCode` is the one tracksink printed at start-up (proof of access to the server). */
    async setup(password: string, setupCode: string): Promise<void> {
      const session = await call('POST /api/auth/setup', { body: { password, setupCode } });
      setCsrfToken(session.csrfToken);
    },
    async login(password: string): Promise<void> {
      const session = await call('POST /api/auth/login', { body: { password } });
      setCsrfToken(session.csrfToken);
    },
    async logout(): Promise<void> {
      try {
        await call('POST /api/auth/logout');
      } finally {
        setCsrfToken(null);
      }
    },
    /** Other sessions end; this one gets a fresh CSRF token. */
    async changePassword(current: string, password: string): Promise<void> {
      const session = await call('POST /api/auth/password', { body: { current, password } });
      setCsrfToken(session.csrfToken);
    },
  },
  stats: {
    summary: (period: Period, device?: number) =>
      call('GET /api/stats/summary', { query: { period, device } }),
    timeseries: (period: Period, device?: number) =>
      call('GET /api/stats/timeseries', { query: { period, device } }),
    tops: (period: Period, device?: number) => call('GET /api/stats/tops', { query: { period, device } }),
  },
  devices: {
    list: (period: Period = '24h') => call('GET /api/devices', { query: { period } }),
    get: (id: number, period: Period = '24h') =>
      call('GET /api/devices/{id}', { params: { id }, query: { period } }),
    update: (id: number, patch: DeviceUpdateBody) =>
      call('PATCH /api/devices/{id}', { params: { id }, body: patch }),
    pause: (id: number, duration: Duration | null) =>
      call('POST /api/devices/{id}/pause', { params: { id }, body: { duration } }),
    /** Names to offer for a device, best first, with where each came from. */
    nameSuggestions: (id: number) => call('GET /api/devices/{id}/name-suggestions', { params: { id } }),
    /** Devices nobody has named yet, with their suggestions (the "name your devices" step). */
    unnamed: (limit = 12) => call('GET /api/devices/unnamed', { query: { limit } }),
  },
  apps: {
    /** The app catalog: which apps tracksink recognises, by their own host names. */
    catalog: () => call('GET /api/apps'),
    /** Apps seen on a device, their linked trackers, and what imported iPhone reports say. */
    forDevice: (id: number) => call('GET /api/devices/{id}/apps', { params: { id } }),
    /** Imports an iOS App Privacy Report (.ndjson text) for a device; all records or none. */
    importPrivacyReport: (id: number, fileName: string, report: string) =>
      call('POST /api/devices/{id}/privacy-report', { params: { id }, body: { fileName, report } }),
  },
  groups: {
    list: () => call('GET /api/groups'),
    create: (name: string) => call('POST /api/groups', { body: { name } }),
  },
  queries: (filter: QueryFilter) => call('GET /api/queries', { query: filter }),
  /** CSV download of the same rows (the server makes cells formula-safe). */
  queriesCsvUrl: (filter: QueryFilter) =>
    routeUrl('GET /api/queries.csv', { query: { ...filter, limit: 10000 } }),
  /** SSE stream of new rows; the server filters by device, status and name. */
  liveQueriesUrl: (filter: Pick<QueryFilter, 'device' | 'status' | 'name'>) =>
    routeUrl('GET /api/queries/live', { query: filter }),
  trackers: {
    companies: (period: Period) => call('GET /api/companies', { query: { period } }),
    categories: (period: Period) => call('GET /api/categories', { query: { period } }),
    /** One company's devices and names (asked when its card is opened, not with the ranking). */
    company: (key: string, period: Period) =>
      call('GET /api/companies/{key}', { params: { key }, query: { period } }),
    /** The optional AdGuard companies database: what is imported, and importing it again now. */
    companiesDb: () => call('GET /api/companies-db'),
    importCompaniesDb: () => call('POST /api/companies-db/import', { body: {} }),
    setPolicy: (key: string, policy: CompanyPolicy) =>
      call('PUT /api/companies/{key}/policy', { params: { key }, body: { policy } }),
  },
  lists: {
    list: () => call('GET /api/lists'),
    add: (list: ListCreateBody) => call('POST /api/lists', { body: list }),
    setEnabled: (id: number, enabled: boolean) =>
      call('PATCH /api/lists/{id}', { params: { id }, body: { enabled } }),
    remove: (id: number) => call('DELETE /api/lists/{id}', { params: { id } }),
    refresh: (id?: number) =>
      id === undefined
        ? call('POST /api/lists/refresh')
        : call('POST /api/lists/{id}/refresh', { params: { id } }),
    refreshJob: (job: string) => call('GET /api/lists/refresh/{job}', { params: { job } }),
    localRecords: () => call('GET /api/local-records'),
  },
  rules: {
    list: (deviceId?: number) => call('GET /api/rules', { query: { device: deviceId } }),
    add: (rule: RuleCreateBody) => call('POST /api/rules', { body: rule }),
    remove: (id: number) => call('DELETE /api/rules/{id}', { params: { id } }),
  },
  explain: (name: string, deviceId?: number) =>
    call('GET /api/explain', { query: { name, device: deviceId } }),
  settings: {
    get: () => call('GET /api/settings'),
    update: (patch: SettingsPatch) => call('PATCH /api/settings', { body: patch }),
  },
  pause: {
    get: () => call('GET /api/pause'),
    set: (duration: Duration | null) => call('POST /api/pause', { body: { duration } }),
  },
  backup: {
    exportUrl: routeUrl('GET /api/export'),
    /** A backup file as read from disk, unchecked: the server checks its shape and says what is wrong. */
    import: (file: unknown) =>
      call('POST /api/import', { body: file as RouteParts<'POST /api/import'>['body'] }),
  },
  health: () => call('GET /api/health'),
  refusedNetworks: () => call('GET /api/refused-networks'),
  setup: {
    check: () => call('GET /api/setup/check'),
    probe: (token: string) => call('GET /api/setup/check/{token}', { params: { token } }),
  },
};
