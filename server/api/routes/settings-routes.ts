/**
 * Settings from the dashboard. A change is validated with exactly the config loader's rules (types,
 * ranges, cross-checks such as "custom mode needs an address"), saved in tracksink.db, applied to the
 * running config, and handed to `deps.applySettings` for what can change live.
 */
import { ConfigError, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import type { App, RouteContext } from '../context.js';
import { badRequest } from '../http/errors.js';
import { settingsFromEnvironment } from '../saved-settings.js';
import { ErrorResponse } from '../schemas/common.js';
import { SettingsPatch, SettingsResponse, type Settings } from '../schemas/settings.js';

export function settingsOf(config: Config): Settings {
  const { dns, log, lists } = config;
  return {
    dns: {
      upstreams: [...dns.upstreams],
      strategy: dns.strategy,
      upstreamTimeoutMs: dns.upstreamTimeoutMs,
      blocking: { ...dns.blocking, ipv4: [...dns.blocking.ipv4], ipv6: [...dns.blocking.ipv6] },
      access: { allow: [...dns.access.allow], deny: [...dns.access.deny] },
      canaries: { ...dns.canaries },
      blockPublicResolvers: dns.blockPublicResolvers,
      rebindingProtection: dns.rebindingProtection,
    },
    log: {
      queries: log.queries,
      anonymizeClients: log.anonymizeClients,
      retentionDays: log.retentionDays,
      rollupRetentionDays: log.rollupRetentionDays,
    },
    lists: { refreshHours: lists.refreshHours },
  };
}

/** `{ dns: { blocking: { ttl: 5 } } }` → `{ 'dns.blocking.ttl': 5 }` (arrays are leaves). */
export function flatten(value: unknown, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      Object.assign(out, flatten(child, prefix ? `${prefix}.${key}` : key));
    }
  } else if (prefix) {
    out[prefix] = value;
  }
  return out;
}

function setIn(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts[parts.length - 1] as string] = value;
}

/** The config as it would be with `changes`, checked by the loader; throws 400 naming the key. */
export function validateChanges(config: Config, changes: Record<string, unknown>): Config {
  // The map-valued key (dns.local) cannot go through overrides leaf by leaf; it is not a setting here.
  const current = flatten(config);
  for (const key of Object.keys(current)) if (key.startsWith('dns.local.')) delete current[key];
  try {
    const { config: next } = loadConfig({
      env: {},
      cwd: '/nonexistent/tracksink-settings-check',
      overrides: { ...current, 'dns.local': config.dns.local, ...changes },
    });
    return next;
  } catch (error) {
    if (error instanceof ConfigError) {
      throw badRequest(error.problems.map((problem) => problem.replace(' (override)', '')).join('; '));
    }
    throw error;
  }
}

/**
 * Records which of `pending` (keys the running modules could not apply) now need a restart: a key whose
 * value is back to the one the server started with needs none.
 */
export function noteRestartNeeded(context: RouteContext, pending: string[]): void {
  const current = flatten(context.deps.config);
  for (const key of pending) {
    if (JSON.stringify(current[key]) === JSON.stringify(context.startConfig[key])) {
      context.restartNeeded.delete(key);
    } else {
      context.restartNeeded.add(key);
    }
  }
}

/** Keys applyBuiltIn() applies without help. */
const BUILT_IN_LIVE = new Set(['log.queries']);

/** Applies what the API can apply itself; returns the keys left for `deps.applySettings`. */
function applyBuiltIn(context: RouteContext, changed: string[]): string[] {
  const { queryLog, devices, config } = context.deps;
  const rest: string[] = [];
  for (const key of changed) {
    if (key === 'log.queries' && queryLog && devices) {
      // The query log takes the global privacy mode with the per-device overrides at once.
      const overrides = new Map<number, Settings['log']['queries']>();
      for (const device of devices.list()) if (device.privacy) overrides.set(device.id, device.privacy);
      queryLog.setDevicePrivacy(overrides, config.log.queries);
    } else {
      rest.push(key);
    }
  }
  return rest;
}

export function settingsRoutes(app: App, context: RouteContext): void {
  const { deps } = context;
  /** Without deps.applySettings only what the API applies itself is live. */
  const restartOnly = (): string[] =>
    deps.applySettings
      ? [...(deps.restartOnlySettings ?? [])].sort()
      : Object.keys(flatten(settingsOf(deps.config)))
          .filter((key) => !BUILT_IN_LIVE.has(key))
          .sort();
  // Read once: the environment does not change while the server runs.
  const fromEnvironment = Object.fromEntries(settingsFromEnvironment());
  const response = () => ({
    settings: settingsOf(deps.config),
    restartNeeded: [...context.restartNeeded].sort(),
    restartOnly: restartOnly(),
    fromEnvironment,
  });

  app.get(
    '/api/settings',
    { schema: { tags: ['settings'], response: { 200: SettingsResponse } } },
    async () => response(),
  );

  app.patch(
    '/api/settings',
    {
      schema: {
        tags: ['settings'],
        body: SettingsPatch,
        response: { 200: SettingsResponse, 400: ErrorResponse },
      },
    },
    async (request) => {
      const changes = flatten(request.body);
      const before = flatten(deps.config);
      validateChanges(deps.config, changes);
      const changed = Object.keys(changes).filter(
        (key) => JSON.stringify(before[key]) !== JSON.stringify(changes[key]),
      );
      // The environment beats saved settings (saved-settings.ts): saving one it sets would never apply.
      const fixed = changed.filter((key) => key in fromEnvironment);
      if (fixed.length > 0)
        throw badRequest(
          fixed
            .map(
              (key) => `${key} is set by the environment variable ${fromEnvironment[key]}: change it there`,
            )
            .join('; '),
        );
      context.settings.setMany(changes);
      for (const key of changed) setIn(deps.config as unknown as Record<string, unknown>, key, changes[key]);
      if (changed.length > 0) {
        const rest = applyBuiltIn(context, changed);
        const pending = deps.applySettings ? await deps.applySettings(deps.config, rest) : rest;
        noteRestartNeeded(context, pending);
      }
      return response();
    },
  );
}
