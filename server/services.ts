/**
 * Builds and starts every module in dependency order and stops them in reverse: the wiring behind
 * main.ts, kept apart from process concerns (signals, exit codes) so integration tests can start the whole
 * product in-process too.
 *
 *   tracksink.db ─▶ catalog ─▶ policy ◀─ lists        devices
 *                                 │                      │
 *                 upstreams ─▶  DNS server ─▶ query log (worker) ─▶ querylog.db ─▶ analytics ─▶ API
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppDeps } from './api/app.js';
import type { Config } from './config/schema.js';
import { DeviceRegistry } from './devices/registry.js';
import { type DnsServer, startDnsServer } from './dns/dns-server.js';
import { LiveUpstreamPool } from './dns/upstream/live-pool.js';
import { PolicyFeed } from './dns/workers/policy-feed.js';
import { plannedUdpTransport } from './dns/udp-server.js';
import { planWorkers } from './dns/workers/worker-count.js';
import { type ManagedUpstreamPool, createUpstreamPool } from './dns/upstream/pool.js';
import type { EncryptedDns, EncryptedDnsStatus } from './encrypted-dns.js';
import { DeviceIdentityFeed } from './filter/device-identities.js';
import { PolicyEngine } from './filter/policy-engine.js';
import { loadPolicyState } from './filter/policy-sync.js';
import { ListManager } from './lists/list-manager.js';
import { PeopleService } from './people/people-service.js';
import { startSchedules } from './schedules/start-schedules.js';
import { sourcePolicyFor } from './lists/source-policy.js';
import type { Logger } from './logger.js';
import { projectRoot, webRoot } from './paths.js';
import {
  RESTART_ONLY_SETTINGS,
  applySettings,
  reloadConfiguration,
  type ReloadModules,
} from './settings/live-settings.js';
import { applySavedSettings } from './settings/saved-settings.js';
import { Analytics } from './store/analytics.js';
import type { LogAnalytics } from './store/log-analytics.js';
import { configRepos } from './store/config-repos.js';
import { shippedAppCatalog } from './trackers/apps/app-catalog.js';
import { QueryLog } from './store/query-log.js';
import { writerPlace } from './store/writer-place.js';
import { CatalogRepo } from './store/repos/catalog-repo.js';
import { DATABASE_URL_ENV } from './store/pg/pg-url.js';
import { type Db, openConfigDb } from './store/sqlite.js';
import { loadSavedCompaniesDb } from './trackers/companiesdb.js';
import { CompaniesDbUpdater } from './trackers/companiesdb-updater.js';
import { loadCatalog } from './trackers/catalog.js';
import { startMemoryTrimmer } from './native-memory.js';

export interface Services {
  version: string;
  configDb: Db;
  policy: PolicyEngine;
  lists: ListManager;
  devices: DeviceRegistry;
  queryLog: QueryLog;
  upstreams: LiveUpstreamPool;
  dns: DnsServer;
  app: FastifyInstance;
  encryptedDns: EncryptedDns;
  summary(): {
    dns: { udp: string; tcp: string };
    http: string;
    /** DoT and HTTPS "host:port" (null when off), with what went wrong. */
    encrypted: { dot: string | null; https: string | null; status: EncryptedDnsStatus };
    lists: { lists: number; entries: number };
  };
  /** What was ready, in the order it became ready (start-up order, checked by tests). */
  startup: readonly StartupStage[];
  stop(): Promise<void>;
}

/**
 * Start-up in the order things become ready. DNS listens as soon as everything a verdict depends on is
 * loaded (catalog, lists, rules, schedules); the log writer thread, app inference, analytics and the API
 * follow. Queries answered before the writer has opened querylog.db wait in the ring and are written then,
 * with the attribution they were answered with.
 */
export type StartupStage =
  'catalog' | 'lists' | 'dns' | 'query-log writer' | 'app inference' | 'analytics' | 'api';

export interface StartHooks {
  /**
   * Called once DNS listens, before start-up waits for the log writer thread, app inference, analytics and
   * the API (tests check that DNS answers then).
   */
  onDnsListening?: (state: {
    dns: DnsServer;
    queryLog: QueryLog;
    startup: readonly StartupStage[];
  }) => Promise<void> | void;
}

function hostPort(address: { address: string; port: number }): string {
  return address.address.includes(':')
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function startServices(
  config: Config,
  logger: Logger,
  hooks: StartHooks = {},
): Promise<Services> {
  const version = packageVersion();
  const startedAt = Date.now();
  const startup: StartupStage[] = [];
  const stack: Array<() => Promise<void> | void> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stack.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
    stack.length = 0;
  };

  try {
    const configDb = openConfigDb(join(config.dataDir, 'tracksink.db'));
    stack.push(() => {
      configDb.close();
    });
    // TRACKSINK_DATABASE_URL (or database.url): PostgreSQL shared by replicas (store/pg/). Unreachable, refused or with a
    // newer schema, it stops the start here with an error naming the server (never the password).
    // node-postgres loads only then (a dynamic import keeps it out of a SQLite-only start).
    const pg =
      process.env[DATABASE_URL_ENV]?.trim() || config.database.url.trim()
        ? await (
            await import('./store/pg/pg-backend.js')
          ).openPgBackend({
            configUrl: config.database.url,
            dataDir: config.dataDir,
            onIdleError: (message) => logger.warn({ component: 'postgres' }, message),
          })
        : null;
    if (pg !== null) {
      stack.push(() => pg.close());
      logger.info(
        { database: pg.target.describe, replica: pg.replica, migrations: pg.applied },
        'PostgreSQL',
      );
    }
    // Replicas share one configuration: the shared one replaces tracksink.db before anything reads it.
    const replicaConfig =
      pg === null
        ? null
        : await (await import('./replica-config.js')).openReplicaConfig({ pg, configDb, logger });
    if (replicaConfig !== null) stack.push(() => replicaConfig.stop());
    // Settings saved from the dashboard win over the file, not over TRACKSINK_* variables (the precedence
    // is explained in settings/saved-settings.ts). The config without them is kept: an import replaces the
    // saved settings, and the config is rebuilt from it.
    const base = structuredClone(config);
    const repos = configRepos(configDb);
    if (replicaConfig !== null) repos.auth = replicaConfig.auth; // logins shared by the replicas
    const applied = applySavedSettings(config, repos.settings, logger);
    if (applied.length > 0) logger.info({ keys: applied }, 'applied settings saved from the dashboard');

    // The writer thread opens querylog.db on the second core while this thread loads the catalog; DNS
    // records into the ring at once and never waits for it (bench/GAP.md, "Start-up"). With log.writer
    // "main" (store/writer-place.ts) the writer runs in this isolate, in slices between DNS answers.
    const queryLog = QueryLog.start({
      dataDir: config.dataDir,
      retentionDays: config.log.retentionDays,
      rollupRetentionDays: config.log.rollupRetentionDays,
      queries: config.log.queries,
      anonymizeClients: config.log.anonymizeClients,
      logger,
      ...(pg === null ? {} : { pg: { target: pg.target, replica: pg.replica } }),
      writer: writerPlace(config.log.writer),
    });
    stack.push(() => queryLog.close());

    const catalog = loadCatalog(undefined, {
      ids: new CatalogRepo(configDb),
      companiesDb: loadSavedCompaniesDb(config.dataDir),
    });
    startup.push('catalog');
    const policy = new PolicyEngine({ attribution: catalog.attribution() });
    // dns.workers > 1: every change to the policy also reaches the DNS worker threads (dns/workers/).
    // Planned on what the UDP transport can do: native shares the port on any Node, dgram from 22.12.
    const dnsThreads = planWorkers(config.dns.workers, undefined, undefined, plannedUdpTransport().transport);
    if (dnsThreads.warning !== null) logger.warn(dnsThreads.warning);
    if (dnsThreads.sharing !== null)
      logger.info(`dns.workers: ${dnsThreads.count} DNS threads; ${dnsThreads.sharing}`);
    const policyFeed = dnsThreads.count > 1 ? new PolicyFeed(policy, catalog.attribution()) : null;

    // Made after the schedules (below); the registry's identity changes reach it from then on.
    const peopleRef: { current?: PeopleService } = {};
    const devices = new DeviceRegistry({
      db: configDb,
      logger,
      leasesFile: config.devices.leasesFile,
      reverseDnsServer: config.devices.reverseDnsServer,
      onPrivacyChange: (overrides) => queryLog.setDevicePrivacy(overrides),
      onIdentityChange: () => {
        identities.sync();
        // New devices may have been named from the leases file: re-join rotated private MACs.
        peopleRef.current?.scheduleRejoinCheck();
      },
    });
    stack.push(() => devices.close());
    // `$client=` list rules see device addresses and names while the server runs; DNS resolves through it.
    const identities = new DeviceIdentityFeed(devices, policy);
    queryLog.setDevicePrivacy(devices.devicePrivacy());
    policy.setDeviceGroups(devices.deviceGroups());
    loadPolicyState({ rules: repos.rules, settings: repos.settings, policy, devices, logger });
    // Profiles' company policies and the schedules in force: a timer swaps a new set into the policy at
    // each schedule boundary, so DNS only reads it.
    let catalogInUse = catalog;
    const schedules = startSchedules({ configDb, policy, catalog: () => catalogInUse, devices, logger });
    stack.push(() => schedules.stop());
    // People own devices; a person's profile applies to their devices without one (devices.deviceGroups()).
    const people = new PeopleService({
      db: configDb,
      devices,
      leasesFile: config.devices.leasesFile,
      logger,
      onChange: () => {
        policy.setDeviceGroups(devices.deviceGroups());
        loadPolicyState({ rules: repos.rules, settings: repos.settings, policy, devices, logger });
        schedules.refresh();
      },
    });
    peopleRef.current = people;
    stack.push(() => people.stop());
    people.scheduleRejoinCheck();

    const lists = new ListManager({
      db: configDb,
      dataDir: config.dataDir,
      policy,
      catalog,
      logger,
      refreshHours: config.lists.refreshHours,
      blockPublicResolvers: config.dns.blockPublicResolvers,
      sources: sourcePolicyFor(config),
      ...(replicaConfig === null ? {} : { shared: replicaConfig.lists }),
    });
    replicaConfig?.followLists(lists);
    stack.push(() => lists.stop());
    lists.ensureDefaults(config.lists.extra, config.lists.defaults);
    // Built-in lists, local files and the last good copies only (parsed in a worker): lists that need a
    // download arrive in the background, so DNS starts answering now, never after a slow list server.
    await lists.start();
    startup.push('lists');

    // Built again when the upstream settings change (live-settings.ts); DNS holds the live wrapper.
    const makeUpstreams = (dns: Config['dns']): ManagedUpstreamPool =>
      createUpstreamPool({
        urls: dns.upstreams,
        strategy: dns.strategy,
        timeoutMs: dns.upstreamTimeoutMs,
        bootstrap: dns.bootstrap,
        logger,
      });
    const upstreams = new LiveUpstreamPool(makeUpstreams(config.dns));
    stack.push(() => upstreams.close());

    const dns = await startDnsServer({
      config: config.dns,
      policy,
      devices: identities,
      log: queryLog,
      upstreams,
      logger,
      ...(policyFeed === null
        ? {}
        : { workers: { count: dnsThreads.count, policyFeed, addLogRing: () => queryLog.addRing() } }),
    });
    stack.push(() => dns.close());
    startup.push('dns');
    // Freed native memory back to the system on a slow timer, off the DNS thread (native-memory.ts; no-op without the addon).
    const memoryTrimmer = startMemoryTrimmer();
    stack.push(() => memoryTrimmer.stop());
    await hooks.onDnsListening?.({ dns, queryLog, startup });

    // Everything below reads or serves what DNS has answered; none of it decides an answer.
    await queryLog.ready;
    startup.push('query-log writer');
    // Apps per device and the app behind each tracker contact, from the rows as the writer thread writes
    // them (store/app-inference.ts): none of it on the DNS thread. The catalog is checked whole here (a
    // malformed one refuses start-up with file and line) and the writer gets its hosts only.
    queryLog.startAppInference(shippedAppCatalog());
    startup.push('app inference');
    // With PostgreSQL the dashboard reads the whole network's log (every replica's rows) from there.
    const analytics: LogAnalytics =
      pg === null
        ? Analytics.open({ dataDir: config.dataDir })
        : (await import('./store/pg/pg-analytics.js')).PgAnalytics.open({
            target: pg.target,
            replica: pg.replica,
          });
    stack.push(() => analytics.close());
    startup.push('analytics');

    const live: ReloadModules = {
      dns,
      upstreams,
      makeUpstreams,
      lists,
      queryLog,
      devices,
      policy,
      savedSettings: repos.settings,
      logger,
    };
    let ready = false;
    // Fastify, the routes and the certificate libraries (acme-client, x509) load only now, with dynamic
    // imports: DNS above already answers while they load (1–3 s of start-up; bench/GAP.md, "Start-up").
    const { AcmeChallenges } = await import('./certs/acme.js');
    const acmeChallenges = new AcmeChallenges();
    const deps: AppDeps = {
      config,
      repos,
      logger,
      dns,
      upstreams,
      policy,
      lists,
      catalog,
      devices,
      clientIds: devices.clientIds,
      acmeChallenges,
      queryLog,
      analytics,
      webRoot,
      startedAt,
      ready: () => ready,
      version,
      applySettings: (next, changed) => applySettings(live, next, changed),
      restartOnlySettings: RESTART_ONLY_SETTINGS,
      reloadAll: async () => {
        const changed = await reloadConfiguration(live, config, base);
        schedules.refresh();
        return changed;
      },
      schedules,
      people,
      ...(pg === null || replicaConfig === null
        ? {}
        : {
            replica: {
              name: pg.replica,
              // Reachable when both the configuration and the log get through.
              status: () => {
                const config = replicaConfig.replication.status();
                const log = queryLog.stats().pg?.error ?? null;
                return {
                  database: pg.target.describe,
                  reachable: config.reachable && log === null,
                  error: config.error ?? log,
                };
              },
            },
          }),
    };
    // An imported companies database widens the catalog: the list manager hands its attribution to
    // the policy engine (next query), and the API names companies from the new catalog.
    deps.companiesDb = new CompaniesDbUpdater({
      dataDir: config.dataDir,
      ids: new CatalogRepo(configDb),
      current: () => deps.catalog ?? catalog,
      onCatalog: async (next) => {
        await lists.setCatalog(next);
        deps.catalog = next;
        catalogInUse = next;
        schedules.refresh();
        logger.info({ companiesDb: next.companiesDbInfo }, 'companies database imported');
      },
    });
    const { buildApp } = await import('./api/app.js');
    const { startEncryptedDns } = await import('./encrypted-dns.js');
    const app = await buildApp(deps);
    stack.push(() => app.close());
    await app.listen({ host: config.http.bind, port: config.http.port });
    // DoT (ClientID in the SNI) and HTTPS (DoH at /dns-query/<clientid>, the dashboard): a certificate or
    // port problem turns only these off (named in the start-up lines and on the Setup page).
    const encryptedDns = await startEncryptedDns({
      config,
      dns,
      clientIds: devices.clientIds,
      app,
      logger,
      acme: {
        challenges: acmeChallenges,
        clientIds: () => [...devices.clientIds.byDevice().values()].flat(),
      },
    });
    stack.push(() => encryptedDns.close());
    deps.encryptedDns = encryptedDns;
    // Another replica's change: rules and pauses, then everything an import reloads.
    replicaConfig?.start(async () => {
      loadPolicyState({ rules: repos.rules, settings: repos.settings, policy, devices, logger });
      await (deps.reloadAll as () => Promise<string[]>)();
    });
    ready = true;
    startup.push('api');

    const httpAddress = app.server.address();
    const http =
      httpAddress && typeof httpAddress === 'object'
        ? hostPort(httpAddress)
        : `${config.http.bind}:${config.http.port}`;
    return {
      version,
      configDb,
      policy,
      lists,
      devices,
      queryLog,
      upstreams,
      dns,
      app,
      encryptedDns,
      summary: () => {
        const listStats = lists.stats();
        return {
          dns: { udp: hostPort(dns.udpAddress), tcp: hostPort(dns.tcpAddress) },
          http,
          encrypted: {
            dot: encryptedDns.dotAddress && hostPort(encryptedDns.dotAddress),
            https: encryptedDns.httpsAddress && hostPort(encryptedDns.httpsAddress),
            status: encryptedDns.status(),
          },
          lists: { lists: listStats.loaded, entries: listStats.entries },
        };
      },
      startup,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
