/**
 * Export → import round trips of the whole configuration into an empty data dir: through the API and
 * through the CLI (`npm run backup`, a real child process), plus all-or-nothing refusal of bad files.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { exportConfiguration } from '../../../server/backup/backup-service.js';
import { BackupRepo } from '../../../server/store/repos/backup-repo.js';
import { runBackupCli } from '../../../server/cli/backup.js';
import { startServices, type Services } from '../../../server/services.js';
import { openConfigDb, openDatabase } from '../../../server/store/sqlite.js';
import { dig } from '../../helpers/dns-clients.js';
import { startStubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { startHarness, type Harness, type Session } from './harness.js';
import { startStack, type Stack } from './stack.js';
import { loopbackConfig } from '../../helpers/in-process-product.js';

const run = promisify(execFile);
const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

/** The configuration without the moment it was exported. */
function content(file: { exportedAt?: number } & Record<string, unknown>) {
  const { exportedAt: _ignored, ...rest } = file;
  return rest;
}

describe('backup and restore', () => {
  let s: Stack;
  let session: Session;
  let empty: Harness;
  const work = mkdtempSync(join(tmpdir(), 'tracksink-backup-'));

  beforeAll(async () => {
    s = await startStack();
    session = await s.login();
    await dig(s.dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.5']);
    await dig(s.dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.6']);
    await s.queryLog.flush();
    s.devices.flushSeen();
    const [a, b] = s.devices.list();
    const group = (
      await session.request({
        method: 'POST',
        url: '/api/groups',
        payload: { name: 'TVs', deviceIds: [a!.id] },
      })
    ).json();
    await session.request({
      method: 'PATCH',
      url: `/api/devices/${b!.id}`,
      payload: { name: 'Phone', type: 'phone' },
    });
    await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'allow', pattern: 'ads.example.com', groupId: group.id },
    });
    await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: {
        action: 'deny',
        match: 'regex',
        pattern: '^telemetry\\.',
        deviceId: b!.id,
        comment: 'TV spy',
      },
    });
    await session.request({
      method: 'PUT',
      url: '/api/companies/pinterest/policy',
      payload: { policy: 'block-everything' },
    });
    await session.request({
      method: 'PATCH',
      url: '/api/settings',
      payload: { dns: { blocking: { mode: 'nxdomain' } } },
    });
    // The machine restored to keeps its list files where the exporting one did.
    empty = await startHarness({}, (config) => {
      config.lists.fileDir = s.dir;
    });
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await empty?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('exports everything through the API and imports it into an empty data dir', async () => {
    const exported = await session.request({ method: 'GET', url: '/api/export' });
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-disposition']).toMatch(
      /attachment; filename="tracksink-backup-\d{4}-\d\d-\d\d\.json"/,
    );
    const file = exported.json();
    expect(file).toMatchObject({ format: 'tracksink-backup', version: 1 });
    expect(file.groups).toHaveLength(1);
    expect(file.devices).toHaveLength(2);
    expect(file.rules).toHaveLength(2);
    expect(file.lists).toHaveLength(1);
    expect(file.companyPolicies).toEqual([
      { companyKey: 'pinterest', policy: 'block-everything', updatedAt: expect.any(Number) },
    ]);
    expect(file.settings).toMatchObject({ 'dns.blocking.mode': 'nxdomain' });
    expect(JSON.stringify(file)).not.toMatch(/scrypt|auth_password|csrf/);

    const target = await empty.login();
    const imported = await target.request({ method: 'POST', url: '/api/import', payload: file });
    expect(imported.statusCode).toBe(200);
    expect(imported.json().restartRecommended).toBe(true);
    expect(imported.json().imported).toEqual({
      settings: 1,
      groups: 1,
      devices: 2,
      lists: 1,
      rules: 2,
      companyPolicies: 1,
    });
    expect(content(exportConfiguration(new BackupRepo(empty.db)))).toEqual(content(file));
    // The importing dashboard keeps its own password and session.
    expect((await target.request({ method: 'GET', url: '/api/rules' })).json().items).toHaveLength(2);
  });

  it('refuses a bad file as a whole, naming the entry, and changes nothing', async () => {
    const target = await empty.login();
    const before = exportConfiguration(new BackupRepo(empty.db));
    const file = JSON.parse(JSON.stringify(before));
    file.rules.push({ ...file.rules[0], id: 99, deviceId: 12345, groupId: null });
    const refused = await target.request({ method: 'POST', url: '/api/import', payload: file });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toMatch(/rules\[2\]\.deviceId: no device 12345 in the file/);
    const wrongShape = await target.request({
      method: 'POST',
      url: '/api/import',
      payload: { ...before, rules: [{ id: 1 }] },
    });
    expect(wrongShape.statusCode).toBe(400);
    expect(wrongShape.json().message).toMatch(/rules\[0\]/);
    const notBackup = await target.request({ method: 'POST', url: '/api/import', payload: { hello: 1 } });
    expect(notBackup.json().message).toMatch(/not a tracksink backup/);
    const duplicate = JSON.parse(JSON.stringify(before));
    duplicate.groups.push({ ...duplicate.groups[0], id: 77 });
    const dupResponse = await target.request({ method: 'POST', url: '/api/import', payload: duplicate });
    expect(dupResponse.statusCode).toBe(400);
    expect(dupResponse.json().message).toMatch(/groups\[1\]: duplicate/);
    expect(content(exportConfiguration(new BackupRepo(empty.db)))).toEqual(content(before));
  });

  it('refuses rules that would not load, foreign list sources and non-dashboard settings, changing nothing', async () => {
    const target = await empty.login();
    const before = exportConfiguration(new BackupRepo(empty.db));
    const refusedWith = async (change: (file: ReturnType<typeof exportConfiguration>) => void) => {
      const file = JSON.parse(JSON.stringify(before)) as ReturnType<typeof exportConfiguration>;
      change(file);
      const response = await target.request({ method: 'POST', url: '/api/import', payload: file });
      expect(response.statusCode).toBe(400);
      return response.json().message as string;
    };
    const rule = (pattern: string, match: 'exact' | 'regex') => ({
      ...before.rules[0]!,
      id: 50,
      match,
      pattern,
      deviceId: null,
      groupId: null,
    });
    expect(await refusedWith((f) => f.rules.push(rule('(', 'regex')))).toMatch(
      /^rules\[2\]\.pattern: .*regular expression/,
    );
    expect(await refusedWith((f) => f.rules.push(rule('not a domain!', 'exact')))).toMatch(
      /^rules\[2\]\.pattern: .*not a domain/,
    );
    for (const key of [
      'http.password',
      'http.bind',
      'dataDir',
      'devices.leasesFile',
      'state.pause.globalUntil',
    ]) {
      expect(await refusedWith((f) => (f.settings[key] = '0.0.0.0'))).toMatch(
        new RegExp(`settings\\["${key.replace(/\./g, '\\.')}"\\]: not a setting the dashboard can change`),
      );
    }
    expect(await refusedWith((f) => (f.settings['dns.blocking.ttl'] = -5))).toMatch(
      /^settings: .*dns\.blocking\.ttl/,
    );
    expect(await refusedWith((f) => (f.lists[0]!.source = '/etc/passwd'))).toMatch(
      /^lists\[0\]\.source: local list files must be in the list directory/,
    );
    expect(await refusedWith((f) => (f.lists[0]!.source = 'http://127.0.0.1:8080/admin'))).toMatch(
      /^lists\[0\]\.source: .*127\.0\.0\.1 is a local or private network address/,
    );
    expect(await refusedWith((f) => (f.lists[0]!.format = 'xml'))).toMatch(
      /^lists\[0\]\.format: must be one of/,
    );
    expect(content(exportConfiguration(new BackupRepo(empty.db)))).toEqual(content(before));
  });

  it('never exports a setting the dashboard cannot change (such as a password)', async () => {
    // As an import by an older version could have left them.
    const put = s.db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
    put.run('http.password', JSON.stringify('plain text secret'));
    put.run('http.bind', JSON.stringify('0.0.0.0'));
    try {
      const file = (await session.request({ method: 'GET', url: '/api/export' })).json();
      expect(JSON.stringify(file)).not.toMatch(/plain text secret|http\.bind|http\.password/);
      expect(file.settings).toMatchObject({ 'dns.blocking.mode': 'nxdomain' });
    } finally {
      s.db.prepare("DELETE FROM settings WHERE key IN ('http.password', 'http.bind')").run();
    }
  });

  it('round-trips through the CLI (a real process) with the query log, into an empty data dir', async () => {
    const file = join(work, 'backup.json');
    const target = join(work, 'restored');
    const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');
    const cli = join(repoRoot, 'server', 'cli', 'backup.ts');
    const env = { ...process.env, TRACKSINK_CONFIG: '' };
    const out = await run(tsx, [cli, 'export', file, '--with-log', '--data-dir', s.dir], {
      cwd: work,
      env,
      timeout: 60_000,
    });
    expect(out.stdout).toMatch(/exported the configuration/);
    expect(existsSync(`${file}.querylog.db`)).toBe(true);
    const back = await run(tsx, [cli, 'import', file, '--with-log', '--data-dir', target], {
      cwd: work,
      env,
      timeout: 60_000,
    });
    expect(back.stdout).toMatch(
      /imported 1 settings, 1 groups, 2 devices, 1 lists, 2 rules, 1 companyPolicies and the query log/,
    );

    const db = openConfigDb(join(target, 'tracksink.db'));
    try {
      expect(content(exportConfiguration(new BackupRepo(db)))).toEqual(
        content(JSON.parse(readFileSync(file, 'utf8'))),
      );
    } finally {
      db.close();
    }
    const log = openDatabase(join(target, 'querylog.db'), { readonly: true });
    try {
      expect(
        (log.prepare('SELECT COUNT(*) AS n FROM queries').get() as { n: number }).n,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      log.close();
    }

    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{"format":"tracksink-backup","version":1}');
    await expect(runBackupCli(['import', bad, '--data-dir', target])).rejects.toThrow(
      /the backup file is not valid: .*"exportedAt"/,
    );
  }, 150_000);

  it('explains usage and missing files in plain words', async () => {
    await expect(runBackupCli(['frobnicate'])).rejects.toThrow(/expected "export FILE" or "import FILE"/);
    await expect(runBackupCli(['import', join(work, 'nope.json'), '--data-dir', work])).rejects.toThrow(
      /file not found/,
    );
    await expect(
      runBackupCli(['export', join(work, 'x.json'), '--data-dir', join(work, 'empty')]),
    ).rejects.toThrow(/no tracksink\.db/);
  });
});

describe('start-up after a bad import by an older version', () => {
  it('skips a stored rule that does not load and ignores non-dashboard settings: DNS comes up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tracksink-bad-import-'));
    const stub = await startStubDnsServer({ defaultA: '192.0.2.7' });
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    let services: Services | undefined;
    try {
      const db = openConfigDb(join(dir, 'tracksink.db'));
      const addRule = db.prepare(
        "INSERT INTO rules (id, action, match, pattern, comment, created_at) VALUES (?, 'deny', ?, ?, '', 0)",
      );
      addRule.run(1, 'regex', '(');
      addRule.run(2, 'exact', 'not a domain!');
      addRule.run(3, 'exact', 'still-blocked.example');
      const put = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
      put.run('http.bind', JSON.stringify('0.0.0.0'));
      put.run('dataDir', JSON.stringify('/'));
      db.close();

      const config = loopbackConfig(dir, stub);
      services = await startServices(config, logger);
      const port = services.dns.udpAddress.port;
      const blockedAnswer = await dig(port, 'still-blocked.example');
      expect(blockedAnswer.answers[0]?.data).toBe('0.0.0.0');
      expect((await dig(port, 'www.example.org')).answers[0]?.data).toBe('192.0.2.7');
      expect(config.http.bind).toBe('127.0.0.1');
      expect(config.dataDir).toBe(dir);
      const log = lines.join('');
      expect(log).toMatch(/user rule 1 skipped, it does not load/);
      expect(log).toMatch(/user rule 2 skipped, it does not load/);
      expect(log).toMatch(/saved setting http\.bind is not a dashboard setting: ignored/);
    } finally {
      await services?.stop();
      await stub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
