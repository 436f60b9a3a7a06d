/**
 * Start-up order (issue 16): DNS answers from the loaded lists as soon as it listens, before start-up waits
 * for the log writer thread, app inference, analytics and the API; a query answered then is still logged,
 * with the attribution it was answered with. Checked on the state at the moment DNS listens (a hook in
 * startServices), not on timings.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config/load.js';
import { silentLogger } from '../../../server/logger.js';
import { startServices, type Services, type StartupStage } from '../../../server/services.js';
import { dig, type DigResult } from '../../helpers/dns-clients.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

describe('DNS answers before the slow parts of start-up are ready', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-dns-first-'));
  const listFile = join(dir, 'household.txt');
  let upstream: StubDnsServer;
  let services: Services;
  let whenListening: StartupStage[] = [];
  let blocked: DigResult | undefined;
  let forwarded: DigResult | undefined;
  let writtenThen = -1;

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.7' });
    // ct.pinterest.com is on the household's list and the catalog knows it (Pinterest's tag).
    writeFileSync(listFile, '0.0.0.0 ct.pinterest.com\n0.0.0.0 ads.dns-first.test\n');
    const env = {
      TRACKSINK_UPSTREAMS: upstream.udpUrl,
      TRACKSINK_DATA_DIR: dir,
      TRACKSINK_BIND: '127.0.0.1',
      TRACKSINK_DNS_PORT: '0',
      TRACKSINK_HTTP_BIND: '127.0.0.1',
      TRACKSINK_HTTP_PORT: '0',
      TRACKSINK_DOT_PORT: '0', // free ports: 853/8443 collide with other test files
      TRACKSINK_HTTPS_PORT: '0',
      TRACKSINK_BLOCKLISTS: listFile,
    };
    const { config } = loadConfig({ env, cwd: dir });
    config.lists.defaults = false;
    services = await startServices(config, silentLogger, {
      onDnsListening: async ({ dns, queryLog, startup }) => {
        whenListening = [...startup];
        writtenThen = queryLog.stats().written;
        blocked = await dig(dns.udpAddress.port, 'ct.pinterest.com');
        forwarded = await dig(dns.udpAddress.port, 'www.dns-first.test');
      },
    });
  }, 60_000);

  afterAll(async () => {
    await services?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('DNS listens once the verdict state is loaded, before the writer, analytics and the API', () => {
    expect(whenListening).toEqual(['catalog', 'lists', 'dns']);
    expect(services.startup).toEqual([
      'catalog',
      'lists',
      'dns',
      'query-log writer',
      'app inference',
      'analytics',
      'api',
    ]);
    expect(writtenThen).toBe(0);
  });

  it('answers from the list and forwards, while the rest is still starting', () => {
    expect(blocked?.status).toBe('NOERROR');
    expect(blocked?.answers.map((a) => a.data)).toEqual(['0.0.0.0']);
    expect(forwarded?.answers.map((a) => a.data)).toEqual(['192.0.2.7']);
  });

  it('logs the queries answered before the writer was ready, attributed', async () => {
    await services.queryLog.flush();
    expect(services.queryLog.stats().dropped).toBe(0);
    const db = new Database(join(dir, 'querylog.db'), { readonly: true });
    try {
      const rows = db
        .prepare(
          `SELECT n.name, q.status, q.company_id AS companyId, q.kind FROM queries q
             JOIN names n ON n.id = q.name_id ORDER BY q.id`,
        )
        .all() as Array<{ name: string; status: number; companyId: number; kind: number }>;
      const pinterest = rows.find((row) => row.name === 'ct.pinterest.com');
      expect(pinterest).toBeDefined();
      expect(pinterest!.companyId).toBeGreaterThan(0);
      expect(pinterest!.kind).toBe(1); // a tracker endpoint
      expect(rows.some((row) => row.name === 'www.dns-first.test')).toBe(true);
    } finally {
      db.close();
    }
  });
});
