/**
 * Settings from the dashboard, start to end: a change is validated with the config loader's rules, refused
 * for a key an environment variable pins, saved in tracksink.db, set in the running config, and handed to
 * the running modules (`applySettings`, live-settings.ts); what they cannot apply is remembered as
 * "needs a restart" unless its value is back to the one the server started with.
 */
import type { Config, QueryLogMode } from '../config/schema.js';
import type { QueryLog } from '../store/query-log.js';
import type { SettingsRepo } from '../store/repos/settings-repo.js';
import { settingsOf } from './dashboard-settings.js';
import { flatten, setIn } from './dotted-keys.js';
import { settingsFromEnvironment } from './saved-settings.js';
import { SettingsError, validateChanges } from './validate-settings.js';

/**
 * The running server as the service sees it. Read at each call, not kept: the API's dependencies may be
 * wired after the app is built (tests do).
 */
export interface RunningSettings {
  /** The running config: changed keys are set in it in place. */
  config: Config;
  /**
   * Applies changed keys to the running modules; returns the keys that need a restart. Without it only
   * the query log privacy applies live (through `queryLog`), every other key waits for a restart.
   */
  applySettings?: (config: Config, changedKeys: string[]) => Promise<string[]> | string[];
  /** Keys `applySettings` never applies live (RESTART_ONLY_SETTINGS). */
  restartOnlySettings?: readonly string[];
  queryLog?: Pick<QueryLog, 'setDevicePrivacy'>;
  devices?: { list(): ReadonlyArray<{ id: number; privacy?: QueryLogMode | null }> };
}

/** Keys applied here when there is no `applySettings`. */
const BUILT_IN_LIVE = new Set(['log.queries']);

export class SettingsService {
  /** The config as the server started (flattened): what a restart-only key runs with. */
  private readonly startConfig: Record<string, unknown>;
  /** Keys whose value differs from the one the running server started with and could not apply. */
  private readonly pendingRestart = new Set<string>();
  /** Dashboard keys an environment variable sets, with its name (read once: it does not change). */
  readonly fromEnvironment: Readonly<Record<string, string>>;

  constructor(
    private readonly running: RunningSettings,
    private readonly saved: Pick<SettingsRepo, 'setMany'>,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.startConfig = flatten(running.config);
    this.fromEnvironment = Object.fromEntries(settingsFromEnvironment(env));
  }

  restartNeeded(): string[] {
    return [...this.pendingRestart].sort();
  }

  /** Keys that apply only when the server starts. */
  restartOnly(): string[] {
    const { applySettings, restartOnlySettings, config } = this.running;
    if (applySettings) return [...(restartOnlySettings ?? [])].sort();
    return Object.keys(flatten(settingsOf(config)))
      .filter((key) => !BUILT_IN_LIVE.has(key))
      .sort();
  }

  view() {
    return {
      settings: settingsOf(this.running.config),
      restartNeeded: this.restartNeeded(),
      restartOnly: this.restartOnly(),
      fromEnvironment: { ...this.fromEnvironment },
    };
  }

  /** Validates, saves and applies `changes` (dotted keys); throws SettingsError naming the keys. */
  async change(changes: Record<string, unknown>): Promise<void> {
    const { config } = this.running;
    const before = flatten(config);
    validateChanges(config, changes);
    const changed = Object.keys(changes).filter(
      (key) => JSON.stringify(before[key]) !== JSON.stringify(changes[key]),
    );
    // The environment beats saved settings (saved-settings.ts): saving one it sets would never apply.
    const fixed = changed.filter((key) => key in this.fromEnvironment);
    if (fixed.length > 0)
      throw new SettingsError(
        fixed
          .map(
            (key) =>
              `${key} is set by the environment variable ${this.fromEnvironment[key]}: change it there`,
          )
          .join('; '),
      );
    this.saved.setMany(changes);
    for (const key of changed) setIn(config, key, changes[key]);
    if (changed.length === 0) return;
    const rest = this.applyBuiltIn(changed);
    const { applySettings } = this.running;
    this.noteRestartNeeded(applySettings ? await applySettings(config, rest) : rest);
  }

  /**
   * Records which of `pending` (keys the running modules could not apply) now need a restart: a key whose
   * value is back to the one the server started with needs none.
   */
  noteRestartNeeded(pending: readonly string[]): void {
    const current = flatten(this.running.config);
    for (const key of pending) {
      if (JSON.stringify(current[key]) === JSON.stringify(this.startConfig[key])) {
        this.pendingRestart.delete(key);
      } else {
        this.pendingRestart.add(key);
      }
    }
  }

  /** Applies what needs no running module's help; returns the keys left for `applySettings`. */
  private applyBuiltIn(changed: string[]): string[] {
    const { queryLog, devices, config } = this.running;
    const rest: string[] = [];
    for (const key of changed) {
      if (key === 'log.queries' && queryLog && devices) {
        // The query log takes the global privacy mode with the per-device overrides at once.
        const overrides = new Map<number, QueryLogMode>();
        for (const device of devices.list()) if (device.privacy) overrides.set(device.id, device.privacy);
        queryLog.setDevicePrivacy(overrides, config.log.queries);
      } else {
        rest.push(key);
      }
    }
    return rest;
  }
}
