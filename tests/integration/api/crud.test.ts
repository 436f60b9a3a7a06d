/** Rules, groups, settings and lists through the API: bad input → 400 naming the field, and the state after. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dns-clients.js';
import { SettingsRepo } from '../../../server/store/repos/settings-repo.js';
import { loadConfig } from '../../../server/config/load.js';
import { startStack, type Stack } from './stack.js';
import type { Session } from './harness.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('rules, groups, settings and lists', () => {
  let s: Stack;
  let session: Session;
  let deviceId: number;

  beforeAll(async () => {
    s = await startStack();
    session = await s.login();
    await dig(s.dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.4']);
    deviceId = s.devices.list()[0]!.id;
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('rules: create, list by device, change, delete; bad patterns and scopes are 400 with the field', async () => {
    const deny = await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'deny', pattern: '*.Bad.Example.' },
    });
    expect(deny.statusCode).toBe(201);
    expect(deny.json()).toMatchObject({
      action: 'deny',
      match: 'subdomain',
      pattern: 'bad.example',
      deviceId: null,
      expiresAt: null,
    });
    expect((await dig(s.dnsPort, 'x.bad.example', 'A', ['-b', '127.0.0.4'])).answers[0]?.data).toBe(
      '0.0.0.0',
    );

    const regex = await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'allow', match: 'regex', pattern: '^cdn[0-9]+\\.', deviceId },
    });
    expect(regex.statusCode).toBe(201);
    expect(
      (await session.request({ method: 'GET', url: `/api/rules?device=${deviceId}` })).json().items,
    ).toHaveLength(1);
    expect((await session.request({ method: 'GET', url: '/api/rules' })).json().items).toHaveLength(2);

    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ action: 'deny', match: 'regex', pattern: '([' }, /^body\.pattern: not a valid regular expression/],
      [{ action: 'deny', pattern: 'a..b' }, /^body\.pattern: .*empty label/],
      [{ action: 'deny', pattern: 'ex ample.com' }, /^body\.pattern: .*not a valid domain name/],
      [{ action: 'block', pattern: 'a.example' }, /^body\.action: must be one of "allow", "deny"/],
      [{ action: 'deny', pattern: 'a.example', deviceId: 999 }, /^body\.deviceId: there is no device 999/],
      [{ action: 'deny', pattern: 'a.example', groupId: 5 }, /^body\.groupId: there is no group 5/],
      [{ action: 'deny', pattern: 'a.example', duration: '1y' }, /^body\.duration: /],
      [{ pattern: 'a.example' }, /^body: "action" is required/],
    ];
    for (const [payload, message] of cases) {
      const response = await session.request({ method: 'POST', url: '/api/rules', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().message).toMatch(message);
    }
    expect((await session.request({ method: 'GET', url: '/api/rules' })).json().items).toHaveLength(2);

    const changed = await session.request({
      method: 'PATCH',
      url: `/api/rules/${deny.json().id}`,
      payload: { action: 'allow', comment: 'needed' },
    });
    expect(changed.json()).toMatchObject({ action: 'allow', comment: 'needed', pattern: 'bad.example' });
    expect(
      (await session.request({ method: 'PATCH', url: '/api/rules/999', payload: { comment: 'x' } }))
        .statusCode,
    ).toBe(404);
    expect(
      (await session.request({ method: 'PATCH', url: `/api/rules/${deny.json().id}`, payload: {} }))
        .statusCode,
    ).toBe(400);
    expect(
      (await session.request({ method: 'DELETE', url: `/api/rules/${deny.json().id}` })).statusCode,
    ).toBe(200);
    expect(
      (await session.request({ method: 'DELETE', url: `/api/rules/${deny.json().id}` })).statusCode,
    ).toBe(404);
    expect(
      (await session.request({ method: 'GET', url: '/api/rules' }))
        .json()
        .items.map((r: { id: number }) => r.id),
    ).toEqual([regex.json().id]);
  });

  it('groups: create with members, rename, change members, duplicate names conflict, delete', async () => {
    const created = await session.request({
      method: 'POST',
      url: '/api/groups',
      payload: { name: 'Kids', deviceIds: [deviceId] },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Kids', description: '', deviceIds: [deviceId] });
    expect(
      (await session.request({ method: 'GET', url: `/api/devices/${deviceId}` })).json().groupIds,
    ).toEqual([created.json().id]);
    const dup = await session.request({ method: 'POST', url: '/api/groups', payload: { name: 'kids' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().message).toMatch(/body\.name/);
    const badMember = await session.request({
      method: 'POST',
      url: '/api/groups',
      payload: { name: 'TVs', deviceIds: [4242] },
    });
    expect(badMember.statusCode).toBe(400);
    expect(badMember.json().message).toMatch(/body\.deviceIds: there is no device 4242/);
    const renamed = await session.request({
      method: 'PATCH',
      url: `/api/groups/${created.json().id}`,
      payload: { name: 'Children', deviceIds: [] },
    });
    expect(renamed.json()).toMatchObject({ name: 'Children', deviceIds: [] });
    expect((await session.request({ method: 'GET', url: '/api/groups' })).json().items).toHaveLength(1);
    expect(
      (await session.request({ method: 'DELETE', url: `/api/groups/${created.json().id}` })).statusCode,
    ).toBe(200);
    expect((await session.request({ method: 'GET', url: '/api/groups' })).json().items).toEqual([]);
    expect(
      (await session.request({ method: 'DELETE', url: `/api/groups/${created.json().id}` })).statusCode,
    ).toBe(404);
  });

  it('settings: validated by the config rules, saved in tracksink.db, applied to the running config', async () => {
    const before = (await session.request({ method: 'GET', url: '/api/settings' })).json();
    expect(before.settings.dns.blocking.mode).toBe('null');
    const saved = await session.request({
      method: 'PATCH',
      url: '/api/settings',
      payload: { dns: { blocking: { ttl: 30 } }, log: { retentionDays: 7 } },
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().settings.dns.blocking.ttl).toBe(30);
    expect(saved.json().restartNeeded).toEqual(['dns.blocking.ttl', 'log.retentionDays']);
    expect(s.config.dns.blocking.ttl).toBe(30);
    const repo = new SettingsRepo(s.db);
    expect(repo.configOverrides()).toEqual({ 'dns.blocking.ttl': 30, 'log.retentionDays': 7 });
    // What main.ts does at start-up: the saved values win over the file.
    expect(
      loadConfig({ env: {}, cwd: s.dir, overrides: repo.configOverrides() }).config.dns.blocking.ttl,
    ).toBe(30);

    // Query-log privacy applies live (no restart).
    const privacy = await session.request({
      method: 'PATCH',
      url: '/api/settings',
      payload: { log: { queries: 'hide-names' } },
    });
    expect(privacy.json().settings.log.queries).toBe('hide-names');
    expect(privacy.json().restartNeeded).not.toContain('log.queries');
    await session.request({ method: 'PATCH', url: '/api/settings', payload: { log: { queries: 'all' } } });

    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ dns: { blocking: { ttl: 999999 } } }, /^body\.dns\.blocking\.ttl: must be <= 86400/],
      [
        { dns: { blocking: { mode: 'custom' } } },
        /dns\.blocking\.mode: "custom" answers blocked names with your own addresses, but none is set\. Add one to dns\.blocking\.ipv4/,
      ],
      [
        { dns: { upstreams: ['8.8.8.8'] } },
        /dns\.upstreams: "8\.8\.8\.8" needs to say how to reach it\. Write udp:\/\/8\.8\.8\.8:53/,
      ],
      [
        { dns: { access: { allow: ['10.0.0.0/33'] } } },
        /dns\.access\.allow: "10\.0\.0\.0\/33" is not a network .*\. Write an address like 192\.168\.1\.10 or a network like 192\.168\.1\.0\/24/,
      ],
      [
        { dns: { blocking: { ipv4: ['::1'] } } },
        /dns\.blocking\.ipv4: "::1" is an IPv6 address, not an IPv4 address\. Write one like 192\.168\.1\.2/,
      ],
      [{ log: { queries: 'some' } }, /^body\.log\.queries: must be one of/],
      [{ http: { port: 1 } }, /^body: unknown field "http"/],
      [{}, /^body: must not be empty/],
    ];
    for (const [payload, message] of cases) {
      const response = await session.request({ method: 'PATCH', url: '/api/settings', payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().message).toMatch(message);
    }
    // Nothing of the refused changes was kept.
    expect(repo.configOverrides()).toEqual({
      'dns.blocking.ttl': 30,
      'log.retentionDays': 7,
      'log.queries': 'all',
    });
    expect(s.config.dns.blocking.mode).toBe('null');
  });

  it('lists: add a local list, see its entries, disable it, refresh with progress, remove it', async () => {
    const path = join(s.dir, 'second.txt');
    writeFileSync(path, 'one.example\ntwo.example\nthree.example\n');
    const added = await session.request({
      method: 'POST',
      url: '/api/lists',
      payload: { source: path, name: 'second', format: 'domains' },
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ name: 'second', entries: 3, enabled: true, kind: 'block' });
    const id = added.json().id as number;
    expect((await dig(s.dnsPort, 'two.example', 'A', ['-b', '127.0.0.4'])).answers[0]?.data).toBe('0.0.0.0');

    const bad = await session.request({
      method: 'POST',
      url: '/api/lists',
      payload: { source: 'ftp://x.example/list' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/source/);
    const badFormat = await session.request({
      method: 'POST',
      url: '/api/lists',
      payload: { source: path, format: 'xml' },
    });
    expect(badFormat.statusCode).toBe(400);
    expect(badFormat.json().message).toMatch(/^body\.format: must be one of/);

    writeFileSync(path, 'one.example\ntwo.example\nthree.example\nfour.example\n');
    const job = await session.request({ method: 'POST', url: `/api/lists/${id}/refresh` });
    expect(job.statusCode).toBe(202);
    let state = job.json();
    for (let i = 0; i < 100 && state.state === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = (await session.request({ method: 'GET', url: `/api/lists/refresh/${job.json().job}` })).json();
    }
    expect(state).toMatchObject({
      state: 'done',
      lists: [{ listId: id, phase: 'done', entries: 4, error: null }],
    });
    expect((await session.request({ method: 'GET', url: '/api/lists/refresh/nope' })).statusCode).toBe(404);

    const disabled = await session.request({
      method: 'PATCH',
      url: `/api/lists/${id}`,
      payload: { enabled: false },
    });
    expect(disabled.json().enabled).toBe(false);
    s.dns.clearCache();
    expect((await dig(s.dnsPort, 'two.example', 'A', ['-b', '127.0.0.4'])).answers[0]?.data).toBe(
      '192.0.2.1',
    );
    expect((await session.request({ method: 'DELETE', url: `/api/lists/${id}` })).statusCode).toBe(200);
    expect(
      (await session.request({ method: 'GET', url: '/api/lists' }))
        .json()
        .items.map((l: { id: number }) => l.id),
    ).not.toContain(id);
    expect((await session.request({ method: 'DELETE', url: `/api/lists/${id}` })).statusCode).toBe(404);
  });
});
