/**
 * The whole product in-process (services.ts, loopback ports, stub upstreams): a blocklist that cannot be
 * downloaded makes /api/health "degraded" (still 200) with the list and the reason in words; a
 * TRACKSINK_* variable beats a value saved in the dashboard, with a warning at start-up, and the
 * Settings API says so and refuses to save over it.
 */
import { createServer, type Server } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSetupCode } from '../../../server/api/auth/setup-code.js';
import { loadConfig } from '../../../server/config/load.js';
import { createLogger } from '../../../server/logger.js';
import { startServices, type Services } from '../../../server/services.js';
import { SettingsRepo } from '../../../server/store/repos/settings-repo.js';
import { openConfigDb } from '../../../server/store/sqlite.js';
import { dig } from '../../helpers/dns-clients.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

/** A port nothing listens on: a list URL there fails at once with ECONNREFUSED. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

describe('start-up status and the precedence of settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-startup-'));
  const logLines: string[] = [];
  let saved: StubDnsServer;
  let fromEnv: StubDnsServer;
  let services: Services;
  let request: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  let deadListUrl = '';

  beforeAll(async () => {
    saved = await startStubDnsServer({ defaultA: '192.0.2.1' });
    fromEnv = await startStubDnsServer({ defaultA: '192.0.2.2' });
    deadListUrl = `http://127.0.0.1:${await closedPort()}/hosts.txt`;
    // A previous run saved upstreams and a blocked-answer TTL from the dashboard.
    const db = openConfigDb(join(dir, 'tracksink.db'));
    new SettingsRepo(db).setMany({ 'dns.upstreams': [saved.udpUrl], 'dns.blocking.ttl': 42 });
    db.close();

    // This start sets the upstreams in the environment, as a Docker user would.
    process.env.TRACKSINK_UPSTREAMS = fromEnv.udpUrl;
    const env = {
      TRACKSINK_UPSTREAMS: fromEnv.udpUrl,
      TRACKSINK_DATA_DIR: dir,
      TRACKSINK_BIND: '127.0.0.1',
      TRACKSINK_DNS_PORT: '0',
      TRACKSINK_HTTP_BIND: '127.0.0.1',
      TRACKSINK_HTTP_PORT: '0',
      TRACKSINK_DOT_PORT: '0', // free ports: 853/8443 collide with other test files
      TRACKSINK_HTTPS_PORT: '0',
      TRACKSINK_BLOCKLISTS: deadListUrl,
      TRACKSINK_LISTS_ALLOW_PRIVATE_URLS: 'true',
    };
    const { config } = loadConfig({ env, cwd: dir });
    config.lists.defaults = false;
    const logger = createLogger('warn', { write: (line: string) => void logLines.push(line) });
    services = await startServices(config, logger);
    const setup = await services.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: 'start-up status test', setupCode: readSetupCode(dir) ?? '' },
    });
    expect(setup.statusCode, setup.body).toBe(200);
    const cookie = `tracksink_session=${setup.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
    const csrf = (setup.json() as { csrfToken: string }).csrfToken;
    request = (options) =>
      services.app.inject({ ...options, headers: { cookie, 'x-csrf-token': csrf, ...options.headers } });
  }, 60_000);

  afterAll(async () => {
    delete process.env.TRACKSINK_UPSTREAMS;
    await services?.stop();
    await saved?.close();
    await fromEnv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('health says "degraded" (HTTP 200) naming the list that failed and why, in words', async () => {
    let body: { status: string; problems: Array<Record<string, unknown>> } | undefined;
    for (let i = 0; i < 100; i++) {
      const response = await services.app.inject({ method: 'GET', url: '/api/health' });
      expect(response.statusCode).toBe(200);
      body = response.json();
      if (body?.status === 'degraded') break;
      await new Promise((wake) => setTimeout(wake, 100));
    }
    expect(body?.status).toBe('degraded');
    expect(body?.problems, JSON.stringify(body?.problems)).toHaveLength(1);
    const [problem] = body!.problems;
    expect(problem).toMatchObject({ kind: 'list', source: deadListUrl, main: false });
    expect(String(problem!.reason)).toMatch(/ECONNREFUSED|refused/i);
    expect(String(problem!.message)).toMatch(
      /^the blocklist ".+" could not be downloaded: .+; blocking with/,
    );
  });

  it('the environment beats the saved upstreams; the saved TTL (no variable) still applies', async () => {
    const answer = await dig(services.dns.udpAddress.port, 'www.example.org');
    expect(answer.answers.map((a) => a.data)).toEqual(['192.0.2.2']);
    const settings = (await request({ method: 'GET', url: '/api/settings' })).json() as {
      settings: { dns: { upstreams: string[]; blocking: { ttl: number } } };
      fromEnvironment: Record<string, string>;
    };
    expect(settings.settings.dns.upstreams).toEqual([fromEnv.udpUrl]);
    expect(settings.settings.dns.blocking.ttl).toBe(42);
    expect(settings.fromEnvironment).toEqual({ 'dns.upstreams': 'TRACKSINK_UPSTREAMS' });
  });

  it('warns at start-up about the saved value the environment overrides', () => {
    const warnings = logLines.map((line) => JSON.parse(line) as { msg: string; key?: string });
    const overridden = warnings.filter((w) => w.key === 'dns.upstreams');
    expect(overridden).toHaveLength(1);
    expect(overridden[0]!.msg).toContain('TRACKSINK_UPSTREAMS sets dns.upstreams');
    expect(warnings.some((w) => w.key === 'dns.blocking.ttl')).toBe(false);
  });

  it('refuses to save a setting the environment sets, naming the variable; saves the others', async () => {
    const refused = await request({
      method: 'PATCH',
      url: '/api/settings',
      payload: { dns: { upstreams: [saved.udpUrl] } },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().message).toContain('TRACKSINK_UPSTREAMS');
    const accepted = await request({
      method: 'PATCH',
      url: '/api/settings',
      payload: { dns: { blocking: { ttl: 7 } } },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
  });
});
