/**
 * The real modules wired the way main.ts wires them, on random ports with a stub upstream, plus the API
 * on top: catalog → policy → lists (a local blocklist file) → device registry → query log → DNS server
 * → buildApp. For tests that need real traffic (metrics, DoH, query log, devices, explain).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDnsServer, type DnsServer } from '../../../server/dns/dns-server.js';
import { createUpstreamPool, type ManagedUpstreamPool } from '../../../server/dns/upstream/pool.js';
import type { NeighbourSource } from '../../../server/devices/neighbour-table.js';
import { DeviceRegistry } from '../../../server/devices/registry.js';
import type { ReverseLookup } from '../../../server/devices/reverse-dns.js';
import { PolicyEngine } from '../../../server/filter/policy-engine.js';
import { ListManager } from '../../../server/lists/list-manager.js';
import { sourcePolicyFor } from '../../../server/lists/source-policy.js';
import { silentLogger } from '../../../server/logger.js';
import { loadPolicyState } from '../../../server/filter/policy-sync.js';
import { Analytics } from '../../../server/store/analytics.js';
import { QueryLog } from '../../../server/store/query-log.js';
import { loadCatalog } from '../../../server/trackers/catalog.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { startHarness, type Harness } from './harness.js';

export interface Stack extends Harness {
  dns: DnsServer;
  dnsPort: number;
  stub: StubDnsServer;
  queryLog: QueryLog;
  devices: DeviceRegistry;
  lists: ListManager;
  policy: PolicyEngine;
  upstreams: ManagedUpstreamPool;
  blocklistPath: string;
}

/** Names in the test blocklist (hosts format). */
export const BLOCKED_NAMES = ['ads.example.com', 'tracker.example.net'];

/**
 * `neighbourTable`: where the registry learns MACs (default: none, every device is IP-only); `leasesFile`
 * and `mdns`: its name sources (default: none).
 */
export async function startStack(
  options: { neighbourTable?: NeighbourSource; leasesFile?: string; mdns?: ReverseLookup | null } = {},
): Promise<Stack> {
  const stub = await startStubDnsServer();
  const closers: Array<() => Promise<void> | void> = [() => stub.close()];
  try {
    const base = await startHarness({}, (config) => {
      config.dns.bind = '127.0.0.1';
      config.dns.port = 0;
      config.dns.upstreams = [stub.udpUrl];
      config.lists.defaults = false;
      // The test lists are files in the data directory: that is their list directory here.
      config.lists.fileDir = config.dataDir;
    });
    closers.unshift(() => base.close());
    const { config, db, dir, deps } = base;
    const catalog = loadCatalog();
    const policy = new PolicyEngine({ attribution: catalog.attribution() });
    const blocklistPath = join(dir, 'blocklist.txt');
    writeFileSync(blocklistPath, BLOCKED_NAMES.map((name) => `0.0.0.0 ${name}`).join('\n') + '\n');
    const lists = new ListManager({
      db,
      dataDir: dir,
      policy,
      catalog,
      logger: silentLogger,
      refreshHours: 24,
      sources: sourcePolicyFor(config),
    });
    closers.unshift(() => lists.stop());
    await lists.add({ source: blocklistPath, name: 'test list', format: 'hosts' });
    await lists.start();
    const devices = new DeviceRegistry({
      db,
      logger: silentLogger,
      neighbourTable: options.neighbourTable ?? { read: async () => new Map() },
      leasesFile: options.leasesFile,
      mdns: options.mdns ?? null,
    });
    closers.unshift(() => (devices as unknown as { close?: () => void }).close?.());
    const queryLog = await QueryLog.open({
      dataDir: dir,
      retentionDays: 30,
      rollupRetentionDays: 365,
      queries: 'all',
      anonymizeClients: false,
      logger: silentLogger,
      intervalMs: 20,
    });
    closers.unshift(() => queryLog.close());
    const analytics = Analytics.open({ dataDir: dir });
    closers.unshift(() => analytics.close());
    const upstreams = createUpstreamPool({
      urls: config.dns.upstreams,
      strategy: 'parallel',
      timeoutMs: 1000,
      bootstrap: [],
      logger: silentLogger,
    });
    closers.unshift(() => upstreams.close());
    const dns = await startDnsServer({
      config: config.dns,
      policy,
      devices,
      log: queryLog,
      upstreams,
      logger: silentLogger,
    });
    closers.unshift(() => dns.close());
    loadPolicyState({ rules: deps.repos.rules, settings: deps.repos.settings, policy, devices });
    policy.setDeviceGroups(devices.deviceGroups());

    Object.assign(deps, { dns, upstreams, policy, lists, catalog, devices, queryLog, analytics });
    // Routes read deps at request time, so wiring after buildApp is the same as wiring before.
    return {
      ...base,
      dns,
      dnsPort: dns.udpAddress.port,
      stub,
      queryLog,
      devices,
      lists,
      policy,
      upstreams,
      blocklistPath,
      async close() {
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close();
    throw error;
  }
}
