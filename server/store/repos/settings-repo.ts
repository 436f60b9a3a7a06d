/**
 * Settings saved from the dashboard, as dotted config keys ("dns.blocking.ttl") → JSON values. They are
 * applied over the config file at start-up (`loadConfig({ overrides: repo.configOverrides() })`), so a
 * value saved in the dashboard wins from then on. Keys under "state." are runtime state (e.g. the global
 * pause), not configuration.
 */
import type { Db } from '../sqlite.js';

export const STATE_PREFIX = 'state.';

export class SettingsRepo {
  constructor(private readonly db: Db) {}

  all(): Record<string, unknown> {
    const rows = this.db.prepare('SELECT key, value FROM settings ORDER BY key').all() as Array<{
      key: string;
      value: string;
    }>;
    const out: Record<string, unknown> = {};
    for (const row of rows) out[row.key] = parseValue(row.key, row.value);
    return out;
  }

  /** Saved configuration keys only (no runtime state), ready for loadConfig's overrides. */
  configOverrides(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this.all()))
      if (!key.startsWith(STATE_PREFIX)) out[key] = value;
    return out;
  }

  get(key: string): unknown {
    const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row === undefined ? undefined : parseValue(key, row.value);
  }

  set(key: string, value: unknown): void {
    this.db
      .prepare(
        'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      )
      .run(key, JSON.stringify(value));
  }

  /** Saves several keys in one transaction: all or none. */
  setMany(values: Record<string, unknown>): void {
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(values)) this.set(key, value);
    })();
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  }
}

function parseValue(key: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`tracksink.db settings: the value of "${key}" is not valid JSON`);
  }
}
