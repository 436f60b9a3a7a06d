/**
 * Settings changed while tracksink runs (saved from the dashboard, or brought by a configuration import)
 * applied to the running modules, so the next DNS query already follows them:
 *
 * - upstreams, strategy, timeout: a new upstream pool swapped in (the old one drains), the cache emptied
 *   so answers of the old upstreams are not served on;
 * - blocking mode, TTL and addresses, access control, canaries, rate limits: the DNS pipeline rebuilt;
 * - rebinding protection: read by the pipeline on every answer, nothing to do;
 * - blocking public resolvers, list refresh interval: the list manager;
 * - query log privacy: the query log writer.
 *
 * Only the query log's retention and client anonymisation wait for a restart: the writer thread takes
 * them when it starts (RESTART_ONLY_SETTINGS; the Settings page says so next to them).
 *
 * Also here: `reloadConfiguration`, what an import needs after it replaced tracksink.db's configuration.
 */
import type { Config } from '../config/schema.js';
import type { DeviceRegistry } from '../devices/registry.js';
import type { DnsServer } from '../dns/dns-server.js';
import type { LiveUpstreamPool } from '../dns/upstream/live-pool.js';
import type { ManagedUpstreamPool } from '../dns/upstream/pool.js';
import type { PolicyEngine } from '../filter/policy-engine.js';
import type { ListManager } from '../lists/list-manager.js';
import type { Logger } from '../logger.js';
import type { QueryLog } from '../store/query-log.js';
import type { SettingsRepo } from '../store/repos/settings-repo.js';
import { changedKeys, flatten, setIn } from './dotted-keys.js';
import { applySavedSettings } from './saved-settings.js';

/** Settings the running server cannot apply: the query log writer reads them when it starts. */
export const RESTART_ONLY_SETTINGS = ['log.anonymizeClients', 'log.retentionDays', 'log.rollupRetentionDays'];

const UPSTREAM_KEYS = new Set(['dns.upstreams', 'dns.strategy', 'dns.upstreamTimeoutMs', 'dns.bootstrap']);
/** Config the pipeline's stages precompute when they are built. */
const PIPELINE_PREFIXES = ['dns.blocking.', 'dns.access.', 'dns.canaries.', 'dns.rateLimit.', 'dns.local.'];
/** Config the pipeline reads on every query: a changed value is in force at once. */
const READ_LIVE = new Set(['dns.rebindingProtection']);

export interface LiveModules {
  dns: Pick<DnsServer, 'reconfigure' | 'clearCache'> & Partial<Pick<DnsServer, 'followSettings'>>;
  upstreams: Pick<LiveUpstreamPool, 'replace'>;
  /** Builds a pool from the dns settings (createUpstreamPool with the logger). */
  makeUpstreams: (dns: Config['dns']) => ManagedUpstreamPool;
  lists: Pick<ListManager, 'setBlockPublicResolvers' | 'setRefreshHours'>;
  queryLog: Pick<QueryLog, 'setDevicePrivacy'>;
  devices: Pick<DeviceRegistry, 'devicePrivacy'>;
  logger: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Applies `changed` (dotted keys, already set in `config`) to the modules; returns the keys that only
 * a restart applies. A module that refuses a value keeps its last good state and the key is reported
 * as needing a restart (the loader's validation makes that rare).
 */
export async function applySettings(
  modules: LiveModules,
  config: Config,
  changed: string[],
): Promise<string[]> {
  const restart: string[] = [];
  const attempt = async (keys: string[], what: string, apply: () => void | Promise<void>) => {
    if (keys.length === 0) return;
    try {
      await apply();
      modules.logger.info({ keys }, `settings applied: ${what}`);
    } catch (error) {
      modules.logger.warn({ keys, err: error }, `could not apply ${what} now: it applies after a restart`);
      restart.push(...keys);
    }
  };
  const upstreamKeys = changed.filter((key) => UPSTREAM_KEYS.has(key));
  const pipelineKeys = changed.filter((key) => PIPELINE_PREFIXES.some((prefix) => key.startsWith(prefix)));
  const handled = new Set([...upstreamKeys, ...pipelineKeys]);

  await attempt(upstreamKeys, 'upstreams', () => {
    const next = modules.makeUpstreams(config.dns);
    // The old pool keeps the queries it has until they time out, then closes.
    modules.upstreams.replace(next, config.dns.upstreamTimeoutMs * 2 + 1000);
    modules.dns.clearCache();
  });
  await attempt(pipelineKeys, 'blocking, access control and local answers', () =>
    modules.dns.reconfigure(config.dns),
  );
  for (const key of changed) {
    if (handled.has(key)) continue;
    if (READ_LIVE.has(key)) continue;
    if (key === 'dns.blockPublicResolvers') {
      await attempt([key], 'public resolver blocking', () =>
        modules.lists.setBlockPublicResolvers(config.dns.blockPublicResolvers),
      );
    } else if (key === 'lists.refreshHours') {
      await attempt([key], 'list refresh interval', () =>
        modules.lists.setRefreshHours(config.lists.refreshHours),
      );
    } else if (key === 'log.queries') {
      await attempt([key], 'query log privacy', () =>
        modules.queryLog.setDevicePrivacy(modules.devices.devicePrivacy(), config.log.queries),
      );
    } else {
      restart.push(key);
    }
  }
  // DNS worker threads (dns.workers > 1) hold their own copy of the dns settings and upstream pool.
  if (changed.some((key) => key.startsWith('dns.'))) modules.dns.followSettings?.(config.dns);
  return restart.sort();
}

export interface ReloadModules extends LiveModules {
  /** The settings saved in tracksink.db (store/repos/settings-repo.ts). */
  savedSettings: Pick<SettingsRepo, 'configOverrides'>;
  policy: Pick<PolicyEngine, 'setDeviceGroups'>;
  devices: Pick<DeviceRegistry, 'devicePrivacy' | 'reload' | 'deviceGroups'>;
  lists: LiveModules['lists'] & Pick<ListManager, 'reload'>;
}

/**
 * After an import replaced the configuration in tracksink.db: devices and groups, lists with their
 * assignments and company policies, and the settings (file and environment under the imported saved
 * values, as at start-up) come from the database again. Rules and pauses are the API's to push (the
 * import route does). Returns the settings keys that need a restart.
 */
export async function reloadConfiguration(
  modules: ReloadModules,
  config: Config,
  /** The config from file and environment, before saved settings were applied. */
  base: Config,
): Promise<string[]> {
  modules.devices.reload();
  modules.policy.setDeviceGroups(modules.devices.deviceGroups());
  await modules.lists.reload();
  const next = structuredClone(base);
  applySavedSettings(next, modules.savedSettings, modules.logger);
  const before = flatten(config);
  const after = flatten(next);
  const changed = changedKeys(before, after);
  // dns.local is a map: replaced whole (a name may have gone); every other key is a leaf.
  if (changed.some((key) => key.startsWith('dns.local.'))) config.dns.local = { ...next.dns.local };
  for (const key of changed) if (!key.startsWith('dns.local.')) setIn(config, key, after[key]);
  const restart = await applySettings(modules, config, changed);
  // Devices' own privacy choices came with the import, so the log takes them even if log.queries stayed.
  modules.queryLog.setDevicePrivacy(modules.devices.devicePrivacy(), config.log.queries);
  return restart;
}
