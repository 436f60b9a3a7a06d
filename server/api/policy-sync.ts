/**
 * Pushes the user state kept in tracksink.db into the running policy engine: user rules and pauses.
 * Called after every change through the API, and by main.ts once at start-up.
 */
import { validateUserRule } from '../filter/user-rules.js';
import type { Logger } from '../logger.js';
import type { Db } from '../store/sqlite.js';
import { RulesRepo } from '../store/repos/rules-repo.js';
import { SettingsRepo } from '../store/repos/settings-repo.js';
import type { DevicesPort, PolicyPort } from './deps.js';

export const GLOBAL_PAUSE_KEY = 'state.pause.globalUntil';

export function globalPauseUntil(settings: SettingsRepo, now: number): number | null {
  const value = settings.get(GLOBAL_PAUSE_KEY);
  return typeof value === 'number' && value > now ? value : null;
}

/** Device pauses still in force, from the device registry's records. */
export function devicePauses(devices: DevicesPort | undefined, now: number): Map<number, number> {
  const pauses = new Map<number, number>();
  if (!devices) return pauses;
  for (const device of devices.list() as Array<{ id?: unknown; pausedUntil?: unknown }>) {
    if (typeof device.id === 'number' && typeof device.pausedUntil === 'number' && device.pausedUntil > now) {
      pauses.set(device.id, device.pausedUntil);
    }
  }
  return pauses;
}

/**
 * A stored rule that no longer loads (written by an older version, or before a check was tightened) is
 * skipped with a warning, never allowed to stop the others or the start-up: DNS must stay up.
 */
export function syncRules(
  policy: PolicyPort | undefined,
  rules: RulesRepo,
  now: number,
  logger?: Pick<Logger, 'warn'>,
): void {
  if (!policy) return;
  const usable = [];
  for (const { id, action, match, pattern, deviceId, groupId, expiresAt } of rules.active(now)) {
    const rule = { id, action, match, pattern, deviceId, groupId, expiresAt };
    const problem = validateUserRule(rule);
    if (problem === null) usable.push(rule);
    else logger?.warn({ rule: id }, `user rule ${id} skipped, it does not load: ${problem}`);
  }
  try {
    policy.setUserRules(usable);
  } catch (error) {
    logger?.warn({ err: error }, 'user rules not applied; the previous rules stay in force');
  }
}

export function syncPauses(
  policy: PolicyPort | undefined,
  settings: SettingsRepo,
  devices: DevicesPort | undefined,
  now: number,
): void {
  policy?.setPauses(globalPauseUntil(settings, now), devicePauses(devices, now));
}

/** Everything at once (start-up, after an import). */
export function loadPolicyState(options: {
  configDb: Db;
  policy: PolicyPort;
  devices?: DevicesPort;
  now?: number;
  logger?: Pick<Logger, 'warn'>;
}): void {
  const now = options.now ?? Date.now();
  syncRules(options.policy, new RulesRepo(options.configDb), now, options.logger);
  syncPauses(options.policy, new SettingsRepo(options.configDb), options.devices, now);
}
