/**
 * A stand-in for the tracksink API that serves web/dist and canned answers typed by the API's own
 * schemas. It lets the dashboard be rendered with chosen data, including hostile text in every field
 * that comes from DNS traffic or from users, under the server's real Content-Security-Policy.
 * Only for layout and escaping tests: the flows are tested against the real server in dashboard.test.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { Health } from '../../../server/api/schemas/health.js';
import type { DeviceOwner, PersonList, RejoinSuggestionList } from '../../../server/api/schemas/people.js';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../../server/api/http/security-headers.js';
import { queryWhy } from '../../../server/api/adapters/query-why.js';
import type {
  AuthStatus,
  CategoryList,
  CompaniesDbStatus,
  CompanyDetail,
  CompanyList,
  Device,
  DeviceList,
  Explanation,
  GroupList,
  ListList,
  PauseState,
  QueryPage,
  QueryRow,
  RuleList,
  SettingsResponse,
  SetupCheck,
  SetupProbeResult,
  Summary,
  TimeSeries,
  Tops,
} from '../../../server/api/schemas/index.js';
import { mockDeviceApps } from './mock-apps.js';
import type { NameSuggestion, UnnamedDevices } from '../../../server/api/schemas/devices.js';

/**
 * The server's policy without 'unsafe-inline' for styles: the dashboard sets styles only through the
 * CSSOM (Svelte's style: directive, Chart.js), which CSP allows, so it needs no inline style at all.
 */
export const STRICT_CSP = CONTENT_SECURITY_POLICY.replace(
  /style-src 'self' 'unsafe-inline'/,
  "style-src 'self'",
);

export const webDist = resolve(import.meta.dirname, '..', '..', '..', 'web', 'dist');

/** Text an attacker controls: markup, quotes, a control byte. */
export const HOSTILE = `<img src=x onerror=alert(1)>"'<script>alert(2)</script>\x01`;

const hour = 3_600_000;
const now = Date.now();

function device(id: number, name: string, address: string, queries: number): Device {
  return {
    id,
    name,
    userName: null,
    autoName: name,
    mac: `aa:bb:cc:00:00:0${id}`,
    macRandom: id === 3,
    vendor: id === 1 ? 'Samsung Electronics' : 'Apple, Inc.',
    type: id === 1 ? 'tv' : 'phone',
    addresses: [address],
    firstSeen: now - 48 * hour,
    lastSeen: now - id * 60_000,
    pausedUntil: null,
    groupIds: [],
    privacy: null,
    queries,
    blocked: Math.round(queries * 0.3),
    trackingAttempts: Math.round(queries * 0.2),
    serviceUses: Math.round(queries * 0.3),
    topCompanies: [{ id: 1, key: 'meta', name: 'Meta', owner: null, queries: 40, trackingAttempts: 25 }],
  };
}

export function fixtures(hostile: boolean) {
  const label = (plain: string) => (hostile ? `${plain} ${HOSTILE}` : plain);
  const devices = [
    device(1, label('Living room TV'), '192.168.1.20', 4200),
    device(2, label('Anna’s phone'), '192.168.1.21', 2600),
    device(3, 'iPad', '192.168.1.22', 900),
  ];
  const meta = { id: 1, key: 'meta', name: label('Meta'), owner: null };
  const buckets = Array.from({ length: 24 }, (_, i) => now - (24 - i) * hour);
  const timeseries: TimeSeries = {
    period: '24h',
    bucketMs: hour,
    buckets,
    series: [
      { status: 'forwarded', counts: buckets.map((_, i) => 120 + ((i * 37) % 90)) },
      { status: 'cached', counts: buckets.map((_, i) => 60 + ((i * 13) % 40)) },
      { status: 'blocked', counts: buckets.map((_, i) => 40 + ((i * 29) % 70)) },
    ],
  };
  const summary: Summary = {
    period: '24h',
    from: now - 24 * hour,
    to: now,
    total: 7700,
    blocked: 2310,
    blockedShare: 0.3,
    trackingAttempts: 1540,
    serviceUses: 2100,
    trackingAttemptsToday: 912,
    devicesActive: 3,
  };
  const hostileName = hostile ? `${HOSTILE}.example` : 'graph.facebook.com';
  const tops: Tops = {
    period: '24h',
    companies: [
      { ...meta, queries: 900, blocked: 700, trackingAttempts: 720, serviceUses: 180 },
      {
        id: 2,
        key: 'google',
        name: 'Google',
        owner: 'Alphabet',
        queries: 650,
        blocked: 400,
        trackingAttempts: 420,
        serviceUses: 230,
      },
      {
        id: 3,
        key: 'tiktok',
        name: 'TikTok',
        owner: 'ByteDance',
        queries: 120,
        blocked: 120,
        trackingAttempts: 120,
        serviceUses: 0,
      },
    ],
    categories: [],
    apps: [{ id: 1, key: 'instagram', name: label('Instagram'), company: meta, queries: 300, blocked: 20 }],
    names: [],
    blockedNames: [
      { name: hostileName, kind: 'tracker', queries: 300, blocked: 300, company: meta },
      { name: 'www.google-analytics.com', kind: 'tracker', queries: 200, blocked: 200, company: null },
    ],
    devices: devices.map((d) => ({
      id: d.id,
      name: d.name,
      queries: d.queries,
      blocked: d.blocked,
      trackingAttempts: d.trackingAttempts,
    })),
  };
  const row = (id: number, name: string, status: QueryRow['status'], reason: string): QueryRow => ({
    id: String(id),
    time: now - id * 7000,
    name,
    type: 'A',
    status,
    reason,
    why: queryWhy({
      status,
      reason,
      listName: label('Local list'),
      deviceId: 2,
      deviceType: 'phone',
      cnameTarget: reason === 'cname' ? hostileName : null,
      company: status === 'blocked' ? meta.name : null,
      category: null,
    }),
    list: status === 'blocked' ? { id: 1, name: label('Local list'), line: 12 } : null,
    ruleId: null,
    cnameTarget: reason === 'cname' ? hostileName : null,
    device: { id: 2, name: devices[1]!.name },
    client: '192.168.1.21',
    company: status === 'blocked' ? meta : null,
    kind: status === 'blocked' ? 'tracker' : 'unknown',
    category: null,
    app: null,
    protocol: 'udp',
    rcode: 0,
    durationUs: 800,
    upstream: null,
  });
  const queries: QueryPage = {
    items: [
      row(1, hostileName, 'blocked', 'list'),
      row(2, 'example.org', 'forwarded', 'none'),
      row(3, 'tracker.example.net', 'blocked', 'cname'),
      row(4, 'news.example.org', 'cached', 'none'),
    ],
    nextCursor: null,
  };
  const companies: CompanyList = {
    period: '24h',
    attribution: label('Tracker and company data from the AdGuard companies database, CC BY-SA 4.0'),
    items: [
      {
        ...meta,
        category: { id: 1, key: 'social', name: 'Social media' },
        queries: 900,
        blocked: 700,
        trackingAttempts: 650,
        serviceUses: 250,
        policy: 'block-tracking',
        apps: [label('Facebook'), 'Instagram', 'WhatsApp'],
        dualUse: [
          {
            domain: 'graph.facebook.com',
            app: label('Facebook Login'),
            note: label('Sign-in with Facebook stops working'),
          },
        ],
      },
    ],
  };
  // What an opened company card asks for (GET /api/companies/meta).
  const companyDetail: CompanyDetail = {
    key: 'meta',
    period: '24h',
    queries: 900,
    blocked: 700,
    trackingAttempts: 650,
    serviceUses: 250,
    devices: [
      { id: 2, name: devices[1]!.name, queries: 500, blocked: 400, trackingAttempts: 420, serviceUses: 80 },
    ],
    names: [
      { name: hostileName, kind: 'tracker', queries: 300, blocked: 300 },
      { name: 'www.instagram.com', kind: 'service', queries: 250, blocked: 0 },
    ],
  };
  const companiesDb: CompaniesDbStatus = {
    imported: {
      timeUpdated: '2026-07-20T11:02:11.184Z',
      trackers: 3330,
      domains: 5400,
      companies: 2368,
      origin: 'refreshed',
      problem: null,
    },
    lastRefusal: { at: '2026-11-30T08:00:00.000Z', message: label('the download timed out') },
    attribution: label('Tracker and company data from the AdGuard companies database'),
    licence: 'CC BY-SA 4.0',
    defaults: {
      trackers: 'https://example.com/trackers.json',
      companies: 'https://example.com/companies.json',
    },
  };
  const categories: CategoryList = {
    period: '24h',
    items: [
      {
        id: 1,
        key: 'social',
        name: 'Social media',
        queries: 900,
        blocked: 700,
        companies: [{ id: 1, key: 'meta', name: meta.name, owner: null, queries: 900, blocked: 700 }],
        devices: [],
      },
    ],
  };
  const lists: ListList = {
    totalEntries: 123456,
    items: [
      {
        id: 1,
        name: label('Local list'),
        source: hostile
          ? `https://example.com/${encodeURIComponent(HOSTILE)}`
          : 'https://example.com/hosts.txt',
        format: 'hosts',
        kind: 'block',
        enabled: true,
        builtin: false,
        entries: 123456,
        invalidLines: 3,
        lastRefresh: now - 2 * hour,
        lastSuccess: now - 2 * hour,
        lastError: hostile ? label('HTTP 500 from server') : null,
        refreshing: false,
      },
    ],
  };
  const rules: RuleList = {
    items: [
      {
        id: 1,
        action: 'allow',
        match: 'exact',
        pattern: hostileName,
        deviceId: 2,
        groupId: null,
        expiresAt: now + hour,
        comment: label('note'),
        createdAt: now,
      },
    ],
  };
  const settings: SettingsResponse = {
    restartNeeded: [],
    fromEnvironment: {},
    restartOnly: ['log.anonymizeClients', 'log.retentionDays', 'log.rollupRetentionDays'],
    settings: {
      dns: {
        upstreams: ['https://cloudflare-dns.com/dns-query'],
        strategy: 'parallel',
        upstreamTimeoutMs: 2000,
        blocking: { mode: 'null', ttl: 60, ipv4: [], ipv6: [] },
        access: { allow: [], deny: [] },
        canaries: { firefoxDoh: true, icloudPrivateRelay: false },
        blockPublicResolvers: false,
        rebindingProtection: true,
      },
      log: { queries: 'all', anonymizeClients: false, retentionDays: 30, rollupRetentionDays: 365 },
      lists: { refreshHours: 24 },
    },
  };
  const explanation: Explanation = {
    name: hostileName,
    deviceId: null,
    verdict: 'blocked',
    reason: 'list',
    summary: label('Blocked by a list'),
    matches: [
      {
        source: 'list',
        action: 'block',
        listId: 1,
        listName: label('Local list'),
        line: 12,
        ruleId: null,
        text: HOSTILE,
        applies: true,
        winner: true,
        outcome: 'blocked',
      },
    ],
    company: meta,
    category: 'Social media',
    app: null,
    companyPolicy: 'block-tracking',
    paused: false,
    tracking: true,
    dualUse: false,
    attribution: {
      kind: 'tracker',
      matchedDomain: hostileName,
      source: label('blocklists/companies/meta.yaml:40'),
      what: label('The Meta Pixel script'),
    },
  };
  const check: SetupCheck = {
    clientAddress: '127.0.0.1',
    device: { id: 2, name: devices[1]!.name },
    recentQueries: true,
    lastQueryAt: now - 60_000,
    token: 'abcdefabcdefabcdef',
    probeName: 'abcdefabcdefabcdef.check.tracksink.home.arpa',
    dnsAddresses: ['192.168.1.2'],
    dnsPort: 53,
  };
  const probe: SetupProbeResult = {
    token: check.token,
    probeName: check.probeName,
    seen: false,
    seenFrom: null,
    sameAddress: false,
  };
  const auth: AuthStatus = {
    setupNeeded: false,
    passwordFromConfig: false,
    loggedIn: true,
    csrfToken: 'csrf-token',
  };
  const deviceList: DeviceList = { items: devices };
  // Suggested names for every device (the naming box and "Name your devices"), hostile ones included.
  const nameSuggestions = (id: number): NameSuggestion[] => [
    {
      name: label(id === 1 ? 'Living room TV' : 'Annas iPhone'),
      source: 'leases',
      why: 'the DHCP host name',
    },
    { name: id === 1 ? 'Samsung TV' : 'iPhone', source: 'maker', why: 'made by the maker' },
    {
      name: label('A very long suggested name that has to wrap on a phone screen'),
      source: 'mdns',
      why: 'mDNS',
    },
  ];
  const unnamed: UnnamedDevices = {
    items: devices.map(({ queries, blocked, trackingAttempts, serviceUses, topCompanies, ...identity }) => {
      void [queries, blocked, trackingAttempts, serviceUses, topCompanies];
      return { device: identity, suggestions: nameSuggestions(identity.id) };
    }),
    total: devices.length,
  };
  const groups: GroupList = { items: [{ id: 1, name: label('Kids'), description: '', deviceIds: [2] }] };
  const pause: PauseState = { globalUntil: null, devices: [] };
  return {
    auth,
    summary,
    timeseries,
    tops,
    deviceList,
    devices,
    nameSuggestions,
    unnamed,
    groups,
    queries,
    companies,
    companyDetail,
    companiesDb,
    categories,
    lists,
    rules,
    settings,
    explanation,
    check,
    probe,
    pause,
  };
}

export interface MockApi {
  baseUrl: string;
  close: () => Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

export async function startMockApi(options: { hostile: boolean }): Promise<MockApi> {
  const data = fixtures(options.hostile);
  const routes: Record<string, unknown> = {
    '/api/auth/status': data.auth,
    '/api/stats/summary': data.summary,
    '/api/stats/timeseries': data.timeseries,
    '/api/stats/tops': data.tops,
    '/api/devices': data.deviceList,
    '/api/devices/unnamed': data.unnamed,
    '/api/groups': data.groups,
    '/api/queries': data.queries,
    '/api/companies': data.companies,
    '/api/companies/meta': data.companyDetail,
    '/api/companies-db': data.companiesDb,
    '/api/categories': data.categories,
    '/api/lists': data.lists,
    // One school-night schedule for the Kids profile, in force (the device page lists its profile's).
    '/api/schedules': {
      timeZone: 'Europe/Berlin',
      timeZoneIsServer: false,
      now: Date.now(),
      next: {
        at: Date.now() + 3_600_000,
        scheduleId: 1,
        change: 'ends',
        label: options.hostile ? `School nights ${'<script>alert(1)</script>'}` : 'School nights',
      },
      items: [
        {
          id: 1,
          name: options.hostile ? `School nights ${'<img src=x onerror=alert(1)>'}` : 'School nights',
          groupId: 1,
          deviceId: null,
          days: [0, 1, 2, 3, 4],
          start: '21:00',
          end: '07:00',
          action: 'block',
          companies: ['bytedance'],
          apps: ['youtube'],
          categories: [],
          enabled: true,
          label: 'Kids profile: TikTok, YouTube blocked 21:00–07:00 (School nights, Sun–Thu)',
          blocks: 'TikTok, YouTube',
          active: true,
          until: Date.now() + 3_600_000,
          nextStart: null,
          unknown: [],
        },
      ],
    },
    '/api/schedules/targets': {
      companies: [
        { key: 'bytedance', name: 'ByteDance (TikTok)' },
        { key: 'meta', name: 'Meta Platforms' },
      ],
      apps: [
        { key: 'tiktok', name: 'TikTok' },
        { key: 'youtube', name: 'YouTube' },
      ],
      categories: [{ key: 'advertising', name: 'Advertising' }],
    },
    '/api/refused-networks': {
      items: [
        {
          network: '198.19.77.0/24',
          queries: 42,
          example: '198.19.77.11',
          firstSeen: Date.now() - 3_600_000,
          lastSeen: Date.now() - 60_000,
        },
      ],
    },
    '/api/local-records': {
      items: [
        {
          name: options.hostile ? `nas.home ${'<img src=x onerror=alert(1)>'}` : 'nas.home',
          answer: 'A 192.168.1.10',
          source: 'list',
          list: { id: 1, name: 'Home names', line: 2 },
          exception: false,
        },
        { name: 'router.home', answer: '192.168.1.1', source: 'settings', list: null, exception: false },
      ],
    },
    '/api/rules': data.rules,
    '/api/settings': data.settings,
    '/api/explain': data.explanation,
    '/api/setup/check': data.check,
    // Encrypted DNS on the Setup page: one device with a ClientID, the others without.
    '/api/setup/encrypted-dns': {
      enabled: true,
      serverName: 'dns.example.org',
      dotPort: 853,
      httpsPort: 8443,
      certificate: {
        source: 'self-signed',
        fingerprint256: Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).toUpperCase()).join(
          ':',
        ),
        subject: 'CN=dns.example.org, O=tracksink (self-signed)',
        names: ['dns.example.org', '*.dns.example.org'],
        validFrom: '2026-01-01T00:00:00.000Z',
        validTo: '2028-04-05T00:00:00.000Z',
      },
      problems: [],
      devices: data.deviceList.items.map((device, index) => ({
        id: device.id,
        name: device.name,
        clientIds:
          index === 0
            ? [
                {
                  clientId: 'kid-tablet',
                  privateDnsHost: 'kid-tablet.dns.example.org',
                  dohUrl: 'https://dns.example.org:8443/dns-query/kid-tablet',
                },
              ]
            : [],
        suggestedClientId: null,
      })),
    },
    '/api/pause': data.pause,
    // A failed main blocklist, so the overview's status notice is on every run (hostile text in the reason).
    '/api/health': {
      status: 'degraded',
      version: '0.1.0',
      dns: { udp: '0.0.0.0:53', tcp: '0.0.0.0:53' },
      lists: { entries: 153, loaded: true },
      log: { written: 0, dropped: 0, error: null },
      uptime: 60,
      problems: [
        {
          kind: 'list',
          list: 'StevenBlack unified hosts',
          source: 'https://raw.githubusercontent.com/StevenBlack/hosts/master/hosts',
          reason: options.hostile
            ? `could not resolve ${HOSTILE}`
            : 'could not resolve raw.githubusercontent.com: ENOTFOUND',
          main: true,
          message: `your main blocklist could not be downloaded: ${
            options.hostile
              ? `could not resolve ${HOSTILE}`
              : 'could not resolve raw.githubusercontent.com: ENOTFOUND'
          }; blocking with the built-in list only`,
        },
      ],
    } satisfies Health,
  };
  // People: one with a profile, three devices and a summary; one with nothing yet. A re-join suggestion
  // (a phone back with a new private MAC) shows on the overview, the devices and the people pages.
  const [first, second, third] = data.deviceList.items as [Device, Device, Device];
  const personName = options.hostile ? `Mum ${HOSTILE}` : 'Mum';
  const profile = data.groups.items[0]
    ? { id: data.groups.items[0].id, name: data.groups.items[0].name }
    : null;
  routes['/api/people'] = {
    counted: true,
    items: [
      {
        id: 1,
        name: personName,
        profile,
        devices: [first, second, third].map((d, i) => ({
          id: d.id,
          name: d.name,
          type: d.type,
          macRandom: d.macRandom,
          lastSeen: d.lastSeen,
          ownProfile: i === 1,
        })),
        summary: {
          queries: 12_345,
          blocked: 2_345,
          trackingAttempts: 1_234,
          topCompanies: data.tops.companies.slice(0, 5).map((c) => ({
            id: c.id,
            key: c.key,
            name: c.name,
            owner: c.owner,
            trackingAttempts: c.trackingAttempts,
          })),
        },
      },
      {
        id: 2,
        name: options.hostile ? HOSTILE : 'Grandpa',
        profile: null,
        devices: [],
        summary: { queries: 0, blocked: 0, trackingAttempts: 0, topCompanies: [] },
      },
    ],
  } satisfies PersonList;
  routes['/api/rejoin-suggestions'] = {
    items: [
      {
        device: {
          id: third.id,
          name: third.name,
          mac: '5e:77:42:00:00:02',
          firstSeen: now - hour,
          lastSeen: now,
        },
        candidate: {
          id: first.id,
          name: first.name,
          mac: first.mac,
          firstSeen: now - 30 * 24 * hour,
          lastSeen: now - 2 * hour,
        },
        hostName: third.name,
        person: { id: 1, name: personName },
      },
    ],
  } satisfies RejoinSuggestionList;
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    response.setHeader('content-security-policy', STRICT_CSP);
    response.setHeader('x-content-type-options', 'nosniff');
    let body: unknown = routes[path];
    const deviceMatch = /^\/api\/devices\/(\d+)$/.exec(path);
    if (deviceMatch) body = data.devices.find((d) => d.id === Number(deviceMatch[1]));
    const suggestionsMatch = /^\/api\/devices\/(\d+)\/name-suggestions$/.exec(path);
    if (suggestionsMatch) {
      const id = Number(suggestionsMatch[1]);
      body = { deviceId: id, items: data.nameSuggestions(id) };
    }
    const appsMatch = /^\/api\/devices\/(\d+)\/apps$/.exec(path);
    if (appsMatch) body = mockDeviceApps(Number(appsMatch[1]), options.hostile);
    const personMatch = /^\/api\/devices\/(\d+)\/person$/.exec(path);
    if (personMatch)
      body = {
        deviceId: Number(personMatch[1]),
        person: { id: 1, name: personName },
        personProfile: profile,
      } satisfies DeviceOwner;
    if (path.startsWith('/api/setup/check/')) body = data.probe;
    if (path === '/api/queries/live') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      response.write(`event: query\ndata: ${JSON.stringify(data.queries.items[0])}\n\n`);
      return;
    }
    if (path.startsWith('/api/')) {
      if (request.method !== 'GET') body = { ok: true };
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { error: 'not-found', message: `no mock for ${path}` }));
      return;
    }
    const file = normalize(join(webDist, path === '/' ? 'index.html' : path));
    const target =
      file.startsWith(webDist) && existsSync(file) && extname(file) ? file : join(webDist, 'index.html');
    response.writeHead(200, { 'content-type': contentTypes[extname(target)] ?? 'application/octet-stream' });
    response.end(readFileSync(target));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
