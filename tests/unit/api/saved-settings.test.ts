import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applySavedSettings } from '../../../server/settings/saved-settings.js';
import { defaultConfig } from '../../../server/config/load.js';
import { SettingsRepo } from '../../../server/store/repos/settings-repo.js';
import { openConfigDb } from '../../../server/store/sqlite.js';

describe('saved settings at start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-settings-'));
  const db = openConfigDb(join(dir, 'tracksink.db'));
  afterAll(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('wins over the file, skips what no longer validates, and ignores runtime state', () => {
    const repo = new SettingsRepo(db);
    repo.setMany({
      'dns.blocking.ttl': 15,
      'dns.upstreams': ['udp://127.0.0.1:5300'],
      'dns.cache.maxTtl': -5,
      'old.key': true,
      'state.pause.globalUntil': 123,
    });
    const config = defaultConfig();
    const warnings: string[] = [];
    const applied = applySavedSettings(config, repo, {
      warn: (_obj: unknown, message?: string) => void warnings.push(message ?? ''),
    } as never);
    expect(applied.sort()).toEqual(['dns.blocking.ttl', 'dns.upstreams']);
    expect(config.dns.blocking.ttl).toBe(15);
    expect(config.dns.upstreams).toEqual(['udp://127.0.0.1:5300']);
    expect(config.dns.cache.maxTtl).toBe(86400);
    expect(warnings.join('\n')).toMatch(/dns\.cache\.maxTtl/);
    expect(warnings.join('\n')).toMatch(/old\.key is not a config key/);
  });
});
