// Typed wrappers for every API route the dashboard uses. Pages call these, never fetch() directly, so a
// route change is a one-line change here. Types come from server/api/schemas via api-types.ts.
import { request, setCsrfToken, withQuery } from './http.js';
import type {
  Health,
  AppCatalogList,
  AuthStatus,
  CategoryList,
  CompaniesDbStatus,
  CompanyDetail,
  CompanyList,
  CompanyPolicy,
  Device,
  DeviceApps,
  DeviceList,
  DeviceUpdateBody,
  Explanation,
  Group,
  ImportResult,
  GroupList,
  List,
  ListCreateBody,
  ListList,
  LocalRecordList,
  PauseState,
  PrivacyReportResult,
  Period,
  QueryFilter,
  QueryPage,
  RefreshJob,
  RefusedNetworkList,
  Rule,
  RuleCreateBody,
  RuleList,
  SessionResponse,
  SettingsPatch,
  SettingsResponse,
  SetupCheck,
  SetupProbeResult,
  Summary,
  TimeSeries,
  Tops,
} from './api-types.js';

/** Durations as the API takes them: "1h", "30m", "7d"; null = until further notice / resume now. */
export type Duration = `${number}${'s' | 'm' | 'h' | 'd'}`;

export const api = {
  auth: {
    status: () => request<AuthStatus>('GET', '/api/auth/status'),
    /** First run: `setupCode` is the one tracksink printed at start-up (proof of access to the server). */
    async setup(password: string, setupCode: string): Promise<void> {
      const session = await request<SessionResponse>('POST', '/api/auth/setup', { password, setupCode });
      setCsrfToken(session.csrfToken);
    },
    async login(password: string): Promise<void> {
      const session = await request<SessionResponse>('POST', '/api/auth/login', { password });
      setCsrfToken(session.csrfToken);
    },
    async logout(): Promise<void> {
      try {
        await request<unknown>('POST', '/api/auth/logout');
      } finally {
        setCsrfToken(null);
      }
    },
    /** Other sessions end; this one gets a fresh CSRF token. */
    async changePassword(current: string, password: string): Promise<void> {
      const session = await request<SessionResponse>('POST', '/api/auth/password', { current, password });
      setCsrfToken(session.csrfToken);
    },
  },
  stats: {
    summary: (period: Period, device?: number) =>
      request<Summary>('GET', withQuery('/api/stats/summary', { period, device })),
    timeseries: (period: Period, device?: number) =>
      request<TimeSeries>('GET', withQuery('/api/stats/timeseries', { period, device })),
    tops: (period: Period, device?: number) =>
      request<Tops>('GET', withQuery('/api/stats/tops', { period, device })),
  },
  devices: {
    list: (period: Period = '24h') => request<DeviceList>('GET', withQuery('/api/devices', { period })),
    get: (id: number, period: Period = '24h') =>
      request<Device>('GET', withQuery(`/api/devices/${id}`, { period })),
    update: (id: number, patch: DeviceUpdateBody) => request<Device>('PATCH', `/api/devices/${id}`, patch),
    pause: (id: number, duration: Duration | null) =>
      request<unknown>('POST', `/api/devices/${id}/pause`, { duration }),
  },
  apps: {
    /** The app catalog: which apps tracksink recognises, by their own host names. */
    catalog: () => request<AppCatalogList>('GET', '/api/apps'),
    /** Apps seen on a device, their linked trackers, and what imported iPhone reports say. */
    forDevice: (id: number) => request<DeviceApps>('GET', `/api/devices/${id}/apps`),
    /** Imports an iOS App Privacy Report (.ndjson text) for a device; all records or none. */
    importPrivacyReport: (id: number, fileName: string, report: string) =>
      request<PrivacyReportResult>('POST', `/api/devices/${id}/privacy-report`, { fileName, report }),
  },
  groups: {
    list: () => request<GroupList>('GET', '/api/groups'),
    create: (name: string) => request<Group>('POST', '/api/groups', { name }),
  },
  queries: (filter: QueryFilter) => request<QueryPage>('GET', withQuery('/api/queries', { ...filter })),
  /** CSV download of the same rows (the server makes cells formula-safe). */
  queriesCsvUrl: (filter: QueryFilter) => withQuery('/api/queries.csv', { ...filter, limit: 10000 }),
  /** SSE stream of new rows; the server filters by device, status and name. */
  liveQueriesUrl: (filter: Pick<QueryFilter, 'device' | 'status' | 'name'>) =>
    withQuery('/api/queries/live', { ...filter }),
  trackers: {
    companies: (period: Period) => request<CompanyList>('GET', withQuery('/api/companies', { period })),
    categories: (period: Period) => request<CategoryList>('GET', withQuery('/api/categories', { period })),
    /** One company's devices and names (asked when its card is opened, not with the ranking). */
    company: (key: string, period: Period) =>
      request<CompanyDetail>('GET', withQuery(`/api/companies/${encodeURIComponent(key)}`, { period })),
    /** The optional AdGuard companies database: what is imported, and importing it again now. */
    companiesDb: () => request<CompaniesDbStatus>('GET', '/api/companies-db'),
    importCompaniesDb: () => request<CompaniesDbStatus>('POST', '/api/companies-db/import', {}),
    setPolicy: (key: string, policy: CompanyPolicy) =>
      request<unknown>('PUT', `/api/companies/${encodeURIComponent(key)}/policy`, { policy }),
  },
  lists: {
    list: () => request<ListList>('GET', '/api/lists'),
    add: (list: ListCreateBody) => request<List>('POST', '/api/lists', list),
    setEnabled: (id: number, enabled: boolean) => request<List>('PATCH', `/api/lists/${id}`, { enabled }),
    remove: (id: number) => request<unknown>('DELETE', `/api/lists/${id}`),
    refresh: (id?: number) =>
      request<RefreshJob>('POST', id === undefined ? '/api/lists/refresh' : `/api/lists/${id}/refresh`),
    refreshJob: (job: string) => request<RefreshJob>('GET', `/api/lists/refresh/${encodeURIComponent(job)}`),
    localRecords: () => request<LocalRecordList>('GET', '/api/local-records'),
  },
  rules: {
    list: (deviceId?: number) => request<RuleList>('GET', withQuery('/api/rules', { device: deviceId })),
    add: (rule: RuleCreateBody) => request<Rule>('POST', '/api/rules', rule),
    remove: (id: number) => request<unknown>('DELETE', `/api/rules/${id}`),
  },
  explain: (name: string, deviceId?: number) =>
    request<Explanation>('GET', withQuery('/api/explain', { name, device: deviceId })),
  settings: {
    get: () => request<SettingsResponse>('GET', '/api/settings'),
    update: (patch: SettingsPatch) => request<SettingsResponse>('PATCH', '/api/settings', patch),
  },
  pause: {
    get: () => request<PauseState>('GET', '/api/pause'),
    set: (duration: Duration | null) => request<PauseState>('POST', '/api/pause', { duration }),
  },
  backup: {
    exportUrl: '/api/export',
    import: (file: unknown) => request<ImportResult>('POST', '/api/import', file),
  },
  health: () => request<Health>('GET', '/api/health'),
  refusedNetworks: () => request<RefusedNetworkList>('GET', '/api/refused-networks'),
  setup: {
    check: () => request<SetupCheck>('GET', '/api/setup/check'),
    probe: (token: string) =>
      request<SetupProbeResult>('GET', `/api/setup/check/${encodeURIComponent(token)}`),
  },
};
