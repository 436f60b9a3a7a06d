/**
 * Pushes the user state kept in tracksink.db into the running policy engine: user rules and pauses.
 * Called after every change through the API, after an import, and once at start-up. It reads through
 * the small interfaces below (the store's RulesRepo and SettingsRepo, the device registry fit them).
 */
import type { Logger } from '../logger.js';
import type { PolicyEngine } from './policy-engine.js';
import { type UserRule, validateUserRule } from './user-rules.js';

export const GLOBAL_PAUSE_KEY = 'state.pause.globalUntil';

/** The parts of the policy engine the user state goes to. */
export type UserStatePolicy = Pick<PolicyEngine, 'setUserRules' | 'setPauses'>;
/** Stored user rules (store/repos/rules-repo.ts). */
export interface StoredRules {
  active(now: number): UserRule[];
}
/** Stored runtime state such as the global pause (store/repos/settings-repo.ts). */
export interface StoredState {
  get(key: string): unknown;
}
/** Devices with their own pause (devices/registry.ts). */
export interface PausableDevices {
  list(): ReadonlyArray<{ id: number; pausedUntil: number | null }>;
}

export function globalPauseUntil(settings: StoredState, now: number): number | null {
  const value = settings.get(GLOBAL_PAUSE_KEY);
  return typeof value === 'number' && value > now ? value : null;
}

/** Device pauses still in force, from the device registry's records. */
export function devicePauses(devices: PausableDevices | undefined, now: number): Map<number, number> {
  const pauses = new Map<number, number>();
  if (!devices) return pauses;
  for (const device of devices.list()) {
    if (typeof device.pausedUntil === 'number' && device.pausedUntil > now) {
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
  policy: Pick<UserStatePolicy, 'setUserRules'> | undefined,
  rules: StoredRules,
  now: number,
  logger?: Pick<Logger, 'warn'>,
): void {
  if (!policy) return;
  const usable: UserRule[] = [];
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
  policy: Pick<UserStatePolicy, 'setPauses'> | undefined,
  settings: StoredState,
  devices: PausableDevices | undefined,
  now: number,
): void {
  policy?.setPauses(globalPauseUntil(settings, now), devicePauses(devices, now));
}

/** Everything at once (start-up, after an import). */
export function loadPolicyState(options: {
  rules: StoredRules;
  settings: StoredState;
  policy: UserStatePolicy;
  devices?: PausableDevices;
  now?: number;
  logger?: Pick<Logger, 'warn'>;
}): void {
  const now = options.now ?? Date.now();
  syncRules(options.policy, options.rules, now, options.logger);
  syncPauses(options.policy, options.settings, options.devices, now);
}
