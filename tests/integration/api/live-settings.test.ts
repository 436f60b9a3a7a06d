/**
 * The whole product as main.ts starts it (services.ts, in-process, loopback ports, a stub upstream):
 * settings saved through the API and a configuration import change what the next real DNS query gets,
 * without a restart; the settings that do need one are named as such.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import { startServices, type Services } from '../../../server/services.js';
import { dig } from '../../helpers/dns-clients.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { readSetupCode } from '../../../server/api/auth/setup-code.js';
import { loopbackConfig } from '../../helpers/in-process-product.js';

const PASSWORD = 'live settings test';

describe('settings and imports apply to the running server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-live-'));
  let first: StubDnsServer;
  let second: StubDnsServer;
  let services: Services;
  let dnsPort = 0;
  let request: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  const blocklist = join(dir, 'blocklist.txt');
  const importedList = join(dir, 'imported.txt');

  beforeAll(async () => {
    first = await startStubDnsServer({ defaultA: '192.0.2.1' });
    second = await startStubDnsServer({ defaultA: '192.0.2.2' });
    writeFileSync(blocklist, '0.0.0.0 ads.example.com\n');
    writeFileSync(importedList, 'imported-list.example\n');
    const config = loopbackConfig(dir, first);
    config.lists.extra = [blocklist];
    // The imported list is a file in the data directory: its list directory here.
    config.lists.fileDir = dir;
    services = await startServices(config, silentLogger);
    dnsPort = services.dns.udpAddress.port;
    const setup = await services.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: PASSWORD, setupCode: readSetupCode(dir) ?? '' },
    });
    expect(setup.statusCode).toBe(200);
    const cookie = `tracksink_session=${setup.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
    const csrf = (setup.json() as { csrfToken: string }).csrfToken;
    request = (options) =>
      services.app.inject({ ...options, headers: { cookie, 'x-csrf-token': csrf, ...options.headers } });
  }, 60_000);

  afterAll(async () => {
    await services?.stop();
    await first?.close();
    await second?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const patch = async (payload: Record<string, unknown>) => {
    const response = await request({ method: 'PATCH', url: '/api/settings', payload });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as { restartNeeded: string[]; restartOnly: string[] };
  };

  it('blocking mode and TTL: the next query gets the new blocked answer', async () => {
    const before = await dig(dnsPort, 'ads.example.com');
    expect(before.status).toBe('NOERROR');
    expect(before.answers.map((a) => a.data)).toEqual(['0.0.0.0']);
    const saved = await patch({ dns: { blocking: { mode: 'nxdomain', ttl: 42 } } });
    expect(saved.restartNeeded).toEqual([]);
    const after = await dig(dnsPort, 'ads.example.com');
    expect(after.status).toBe('NXDOMAIN');
    expect(after.authority[0]).toMatchObject({ type: 'SOA', ttl: 42 });
  });

  it('upstreams: the next query goes to the new resolver (no answer of the old one served on)', async () => {
    expect((await dig(dnsPort, 'www.example.org')).answers.map((a) => a.data)).toEqual(['192.0.2.1']);
    second.resetCounts();
    const saved = await patch({ dns: { upstreams: [second.udpUrl], strategy: 'failover' } });
    expect(saved.restartNeeded).toEqual([]);
    expect((await dig(dnsPort, 'www.example.org')).answers.map((a) => a.data)).toEqual(['192.0.2.2']);
    expect(second.queries()).toBe(1);
    expect(services.upstreams.describe().join(' ')).toContain(`127.0.0.1:${second.port}`);
  });

  it('access control: a refused network is refused at once, and served again when removed', async () => {
    await patch({ dns: { access: { deny: ['127.0.0.9/32'] } } });
    expect((await dig(dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.9'])).status).toBe('REFUSED');
    expect((await dig(dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.8'])).status).toBe('NOERROR');
    await patch({ dns: { access: { deny: [] } } });
    expect((await dig(dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.9'])).status).toBe('NOERROR');
  });

  it('public resolver blocking: switched on and off without a restart', async () => {
    expect((await dig(dnsPort, 'dns.google')).status).toBe('NOERROR');
    expect((await patch({ dns: { blockPublicResolvers: true } })).restartNeeded).toEqual([]);
    expect((await dig(dnsPort, 'dns.google')).status).toBe('NXDOMAIN');
    await patch({ dns: { blockPublicResolvers: false } });
    expect((await dig(dnsPort, 'dns.google')).status).toBe('NOERROR');
  });

  it('query log retention and client anonymisation wait for a restart, and the API says so', async () => {
    const settings = (await request({ method: 'GET', url: '/api/settings' })).json();
    expect(settings.restartOnly).toEqual([
      'log.anonymizeClients',
      'log.retentionDays',
      'log.rollupRetentionDays',
    ]);
    expect(settings.restartNeeded).toEqual([]);
    const saved = await patch({ log: { retentionDays: 9 }, lists: { refreshHours: 6 } });
    expect(saved.restartNeeded).toEqual(['log.retentionDays']);
    expect((await request({ method: 'GET', url: '/api/settings' })).json().restartNeeded).toEqual([
      'log.retentionDays',
    ]);
  });

  it('an import: its lists, rules, devices, groups and settings answer the next queries', async () => {
    const file = (await request({ method: 'GET', url: '/api/export' })).json();
    // The running server's list is replaced by another local list under the same id (its cached copy
    // must not be served for the new one).
    const index = file.lists.findIndex((l: { source: string }) => l.source === blocklist);
    file.lists[index] = {
      ...file.lists[index],
      name: 'imported list',
      source: importedList,
      format: 'domains',
      assignments: [],
    };
    const now = Date.now();
    file.groups = [{ id: 5, name: 'TVs', description: '' }];
    file.devices.push({
      id: 99,
      mac: null,
      macRandom: false,
      name: 'Imported TV',
      autoName: null,
      vendor: null,
      type: 'tv',
      firstSeen: now,
      lastSeen: now,
      pausedUntil: null,
      addresses: [{ address: '127.0.0.20', firstSeen: now, lastSeen: now }],
      groupIds: [5],
    });
    file.rules = [rule(1, 'deny', 'denied.example', null), rule(2, 'allow', 'imported-list.example', 5)];
    // Blocking answers REFUSED; the upstream and retention are no longer saved: the file's defaults
    // (the first stub, 30 days) come back.
    file.settings['dns.blocking.mode'] = 'refused';
    delete file.settings['dns.upstreams'];
    delete file.settings['dns.strategy'];
    delete file.settings['log.retentionDays'];

    const imported = await request({ method: 'POST', url: '/api/import', payload: file });
    expect(imported.statusCode, imported.body).toBe(200);
    // Retention is back to the value the query log writer started with: nothing waits for a restart.
    expect(imported.json()).toMatchObject({ restartRecommended: false, restartNeeded: [] });

    expect((await dig(dnsPort, 'ads.example.com')).answers.map((a) => a.data)).toEqual(['192.0.2.1']);
    expect((await dig(dnsPort, 'imported-list.example')).status).toBe('REFUSED');
    expect((await dig(dnsPort, 'denied.example')).status).toBe('REFUSED');
    // The imported device (by its address) is in the imported group, whose allow rule lets it through.
    const tv = await dig(dnsPort, 'imported-list.example', 'A', ['-b', '127.0.0.20']);
    expect(tv.status).toBe('NOERROR');
    expect(tv.answers.map((a) => a.data)).toEqual(['192.0.2.1']);

    const devices = (await request({ method: 'GET', url: '/api/devices' })).json().items;
    expect(devices.find((d: { id: number }) => d.id === 99)).toMatchObject({
      name: 'Imported TV',
      addresses: ['127.0.0.20'],
      groupIds: [5],
    });
    const lists = (await request({ method: 'GET', url: '/api/lists' })).json().items as Array<{
      name: string;
      source: string;
      entries: number;
    }>;
    expect(lists.find((l) => l.name === 'imported list')).toMatchObject({ source: importedList, entries: 1 });
    expect(lists.find((l) => l.source === blocklist)).toBeUndefined();
    const settings = (await request({ method: 'GET', url: '/api/settings' })).json();
    expect(settings.settings.dns).toMatchObject({ upstreams: [first.udpUrl], strategy: 'parallel' });
    expect(settings.settings.log.retentionDays).toBe(30);
  });

  function rule(id: number, action: 'allow' | 'deny', pattern: string, groupId: number | null) {
    return {
      id,
      action,
      match: 'exact',
      pattern,
      deviceId: null,
      groupId,
      expiresAt: null,
      comment: '',
      createdAt: Date.now(),
    };
  }
});
