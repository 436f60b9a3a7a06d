/**
 * Importing the AdGuard companies database from the dashboard's API into the running product (as
 * services.ts wires it), from a local HTTP server holding the excerpt in tests/fixtures/trackers (CC BY-SA 4.0)
 * (plus one test domain): the shipped copy is in use before any import; after it, the next query of a
 * name only the refreshed copy knows is put on its company, and the trackers API names it
 * with the licence's attribution. Bad sources change nothing.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import { projectRoot } from '../../../server/paths.js';
import { startServices, type Services } from '../../../server/services.js';
import { dig } from '../../helpers/dns-clients.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { readSetupCode } from '../../../server/api/auth/setup-code.js';
import { loopbackConfig } from '../../helpers/in-process-product.js';

const fixtures = resolve(projectRoot, 'tests/fixtures/trackers');

describe('companies database import through the API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-companiesdb-api-'));
  let stub: StubDnsServer;
  let files: Server;
  let base = '';
  let services: Services;
  let request: (options: InjectOptions, withCsrf?: boolean) => Promise<LightMyRequestResponse>;

  beforeAll(async () => {
    stub = await startStubDnsServer({ defaultA: '192.0.2.1' });
    const bodies: Record<string, string> = {
      // The upstream snapshot plus one domain the shipped copy does not have.
      '/trackers.json': readFileSync(join(fixtures, 'companiesdb-excerpt.trackers.json'), 'utf8').replace(
        '"trackerDomains": {',
        '"trackerDomains": {\n    "upstream-only.example": "1000mercis",',
      ),
      '/companies.json': readFileSync(join(fixtures, 'companiesdb-excerpt.companies.json'), 'utf8'),
      '/broken.json': '{"trackers": ',
    };
    files = createServer((req, res) => {
      const body = bodies[req.url ?? ''];
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(body ?? 'not found');
    });
    await new Promise<void>((done) => files.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;

    const config = loopbackConfig(dir, stub);
    services = await startServices(config, silentLogger);
    const setup = await services.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: 'companies db test', setupCode: readSetupCode(dir) ?? '' },
    });
    const cookie = `tracksink_session=${setup.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
    const csrf = (setup.json() as { csrfToken: string }).csrfToken;
    request = (options, withCsrf = true) =>
      services.app.inject({
        ...options,
        headers: { cookie, ...(withCsrf ? { 'x-csrf-token': csrf } : {}), ...options.headers },
      });
  }, 60_000);

  afterAll(async () => {
    await services?.stop();
    await stub?.close();
    await new Promise<void>((done) => (files ? files.close(() => done()) : done()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** The company the query log put on the newest query of `name`. */
  async function loggedCompany(name: string): Promise<string | null> {
    await dig(services.dns.udpAddress.port, name);
    await services.queryLog.flush();
    const page = (await request({ method: 'GET', url: `/api/queries?name=${name}&limit=1` })).json();
    return page.items[0]?.company?.key ?? null;
  }

  it('says the shipped copy is in use before any import, and where an import downloads from', async () => {
    const status = await request({ method: 'GET', url: '/api/companies-db' });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({
      imported: { trackers: 3330, companies: 2359, origin: 'shipped', problem: null },
      lastRefusal: null,
      licence: 'CC BY-SA 4.0',
      defaults: { trackers: expect.stringMatching(/^https:\/\/.*AdguardTeam\/companiesdb.*trackers\.json$/) },
    });
    expect((await services.app.inject({ method: 'GET', url: '/api/companies-db' })).statusCode).toBe(401);
  });

  it('imports both files; the next query of a name only it knows gets its company', async () => {
    // upstream-only.example is known only to the refreshed copy (1000mercis).
    expect(await loggedCompany('tag.upstream-only.example')).toBeNull();
    const payload = { trackers: `${base}/trackers.json`, companies: `${base}/companies.json` };
    const noCsrf = await request({ method: 'POST', url: '/api/companies-db/import', payload }, false);
    expect(noCsrf.statusCode).toBe(403);
    const imported = await request({ method: 'POST', url: '/api/companies-db/import', payload });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json().imported).toMatchObject({ trackers: 10, companies: 10 });
    expect(await loggedCompany('tag.upstream-only.example')).toBe('adguard:1000mercis');

    const companies = (await request({ method: 'GET', url: '/api/companies?period=24h' })).json();
    expect(companies.attribution).toMatch(/AdGuard companies database.*CC BY-SA 4\.0/);
    const mercis = companies.items.find((c: { key: string }) => c.key === 'adguard:1000mercis');
    expect(mercis).toMatchObject({ queries: 1, blocked: 0 });
    const detail = await request({
      method: 'GET',
      url: `/api/companies/${encodeURIComponent('adguard:1000mercis')}?period=24h`,
    });
    expect(detail.statusCode).toBe(200);
    expect(detail.json().names).toMatchObject([
      { name: 'tag.upstream-only.example', queries: 1, blocked: 0 },
    ]);
  });

  it('refuses sources that are not http(s) URLs, and keeps the imported copy when a download is bad', async () => {
    const local = await request({
      method: 'POST',
      url: '/api/companies-db/import',
      payload: { trackers: '/etc/passwd' },
    });
    expect(local.statusCode).toBe(400);
    expect(local.json().message).toMatch(/^body\.trackers: /);
    const extra = await request({ method: 'POST', url: '/api/companies-db/import', payload: { x: 1 } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().message).toMatch(/unknown field "x"/);

    const broken = await request({
      method: 'POST',
      url: '/api/companies-db/import',
      payload: { trackers: `${base}/broken.json`, companies: `${base}/companies.json` },
    });
    expect(broken.statusCode).toBe(502);
    expect(broken.json().message).toMatch(
      /^could not import the companies database: .*broken\.json: not valid JSON.*the previous copy stays in use$/,
    );
    const missing = await request({
      method: 'POST',
      url: '/api/companies-db/import',
      payload: { trackers: `${base}/gone.json`, companies: `${base}/companies.json` },
    });
    expect(missing.statusCode).toBe(502);
    expect(missing.json().message).toMatch(/404/);
    const status = (await request({ method: 'GET', url: '/api/companies-db' })).json();
    expect(status.imported).toMatchObject({ trackers: 10, origin: 'refreshed' });
    // The dashboard says why the last update was not used.
    expect(status.lastRefusal.message).toMatch(/404/);
    expect(await loggedCompany('tag.upstream-only.example')).toBe('adguard:1000mercis');
  });
});
