/**
 * What the API needs from the other modules, as small structural interfaces ("ports"). main.ts passes the
 * real modules (DnsServer, UpstreamPool, PolicyEngine, ListManager, Catalog, DeviceRegistry, QueryLog,
 * Analytics); TypeScript checks there that they fit. A missing module makes its routes answer 503 with a
 * message that says what is not running, never made-up data.
 */
import type { FastifyBaseLogger, RouteOptions } from 'fastify';
import type { Config } from '../config/schema.js';
import type { RefusedNetworks } from '../dns/stages/refused-networks.js';
import type { DnsWorkersHealth } from '../dns/workers/dns-workers.js';
import type { ConfigRepos } from '../store/config-repos.js';
import type { ScheduleRunner } from '../schedules/schedule-runner.js';
import type { ListManager } from '../lists/list-manager.js';
import type { Catalog } from '../trackers/catalog.js';
import type { Explanation } from '../filter/explain.js';
import type { UserRule } from '../filter/user-rules.js';
import type { ListMatcher } from '../filter/matcher.js';
import type { ClientIdDirectory } from '../devices/client-id-directory.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { EncryptedDnsStatus } from '../encrypted-dns.js';
import type { AcmeChallenges } from '../certs/acme.js';
import type { LogAnalytics } from '../store/log-analytics.js';
import type { QueryLog } from '../store/query-log.js';
import type { CompaniesDbUpdater } from '../trackers/companiesdb-updater.js';
import type { PeopleService } from '../people/people-service.js';

export interface DnsPort {
  /** Where DNS listens; a string "host:port" or an address object. */
  readonly udpAddress?: unknown;
  readonly tcpAddress?: unknown;
  /** Answers one wire query as if it came from `clientAddress` (DoH). null = nothing to send. */
  answer(query: Buffer, clientAddress: string, protocol: number, deviceId?: number): Promise<Buffer | null>;
  /** DNS access control for an address (an unknown ClientID from outside it makes no device). */
  allows?(clientAddress: string): boolean;
  /** Plain counters (dns/stats.ts), read by /metrics and /api/health. */
  readonly stats?: unknown;
  /** Networks whose queries access control refused (dns/stages/refused-networks.ts). */
  readonly refusedNetworks?: Pick<RefusedNetworks, 'list'>;
  clearCache?(): void;
  /** With DNS worker threads: running, restarts, and those down now (dns/workers/dns-workers.ts). */
  workerHealth?(): DnsWorkersHealth | null;
}

export interface UpstreamsPort {
  describe(): string[];
  stats?(): unknown[];
}

export interface PolicyPort {
  setUserRules(rules: UserRule[]): void;
  setPauses(globalUntil: number | null, deviceUntil: Map<number, number>): void;
  setDeviceGroups?(groups: Map<number, number[]>): void;
  explain(
    name: string,
    deviceId?: number,
    qtype?: number,
    lineText?: (listId: number, line: number) => string | undefined,
  ): Explanation;
  /** The lists in force (the local records page reads their rules that answer with a record). */
  readonly lists: Pick<ListMatcher, 'localRecords'>;
}

/** The list manager (lists/list-manager.ts); the API uses these members. */
export type ListsPort = Pick<
  ListManager,
  | 'list'
  | 'get'
  | 'add'
  | 'update'
  | 'remove'
  | 'refresh'
  | 'lineText'
  | 'stats'
  | 'companyPolicies'
  | 'setCompanyPolicy'
>;

/** The tracker catalog (trackers/catalog.ts). */
export type CatalogPort = Pick<
  Catalog,
  | 'company'
  | 'category'
  | 'app'
  | 'companies'
  | 'categories'
  | 'apps'
  | 'endpoints'
  | 'describe'
  | 'companiesDbInfo'
>;

/** The device registry (devices/registry.ts), which also owns groups. */
export type DevicesPort = Pick<
  DeviceRegistry,
  | 'list'
  | 'get'
  | 'update'
  | 'deviceIdFor'
  | 'listGroups'
  | 'createGroup'
  | 'updateGroup'
  | 'deleteGroup'
  | 'deviceGroups'
  | 'resolveId'
  | 'aliases'
  | 'nameSuggestions'
>;

/** ClientID → device for encrypted DNS (devices/client-id-directory.ts; the registry's `clientIds`). */
export type ClientIdsPort = Pick<
  ClientIdDirectory,
  'deviceIdFor' | 'byDevice' | 'deviceOf' | 'assign' | 'remove'
>;

/** DoT/HTTPS listeners and their certificate (encrypted-dns.ts). */
export interface EncryptedDnsPort {
  status(): EncryptedDnsStatus;
}

/** The query log (store/query-log.ts). */
export type QueryLogPort = Pick<QueryLog, 'stats' | 'flush' | 'setDevicePrivacy'>;

/** trackers/companiesdb-updater.ts. */
export type CompaniesDbPort = Pick<
  CompaniesDbUpdater,
  'imported' | 'import' | 'lastRefusal' | 'attribution' | 'licence' | 'defaults'
>;

/** With TRACKSINK_DATABASE_URL: which replica this is and whether PostgreSQL answers (services.ts). */
export interface ReplicaPort {
  name: string;
  status(): { database: string; reachable: boolean; error: string | null };
}

/** The read side of the query log: SQLite (store/analytics.ts) or PostgreSQL (store/pg/pg-analytics.ts). */
export type AnalyticsPort = LogAnalytics;

export interface AppDeps {
  config: Config;
  /** tracksink.db, through its repositories (store/config-repos.ts). */
  repos: ConfigRepos;
  logger: FastifyBaseLogger;
  dns?: DnsPort;
  upstreams?: UpstreamsPort;
  policy?: PolicyPort;
  lists?: ListsPort;
  catalog?: CatalogPort;
  devices?: DevicesPort;
  clientIds?: ClientIdsPort;
  /** HTTP-01 key authorizations waiting for the ACME CA (certs/acme.ts). */
  acmeChallenges?: Pick<AcmeChallenges, 'get'>;
  /** Set once the encrypted listeners started (after buildApp: the HTTPS listener serves this app). */
  encryptedDns?: EncryptedDnsPort;
  queryLog?: QueryLogPort;
  replica?: ReplicaPort;
  analytics?: AnalyticsPort;
  /** The schedule timer (schedules/schedule-runner.ts): refresh() after a change, status() for the API. */
  schedules?: Pick<ScheduleRunner, 'refresh' | 'status' | 'timeZone'>;
  /** People and device re-joins (people/people-service.ts). */
  people?: Pick<
    PeopleService,
    | 'list'
    | 'get'
    | 'owners'
    | 'create'
    | 'update'
    | 'delete'
    | 'setOwner'
    | 'suggestions'
    | 'join'
    | 'dismiss'
  >;
  /** Imports the AdGuard companies database and puts the widened catalog in use (deps.catalog too). */
  companiesDb?: CompaniesDbPort;
  /** Sees every route as registered (scripts/gen-api.ts reads the route schemas for the dashboard's types). */
  onRoute?: (route: RouteOptions) => void;
  /** web/dist; no static serving when absent or missing on disk. */
  webRoot?: string;
  startedAt: number;
  /** True once DNS listens and lists are loaded (GET /api/health is 503 before). */
  ready: () => boolean;
  version?: string;
  /**
   * Applies changed settings to the running modules; returns the dotted keys that need a restart.
   * Without it every changed key is reported as needing a restart.
   */
  applySettings?: (config: Config, changedKeys: string[]) => Promise<string[]> | string[];
  /** Settings keys `applySettings` never applies live (the Settings page marks them "after a restart"). */
  restartOnlySettings?: string[];
  /**
   * Reloads every module from tracksink.db after an import; returns the settings keys that need a
   * restart. Without it the API says to restart.
   */
  reloadAll?: () => Promise<string[]>;
  /** Clock, for tests. */
  now?: () => number;
}
