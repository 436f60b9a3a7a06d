/**
 * Web security of the API and the static dashboard: every route needs a session (401) and every
 * state-changing one a CSRF token (403); security headers; no path traversal; CSV export safe against
 * formula injection; untrusted names come back as JSON strings, never markup.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, csvLine } from '../../server/api/http/csv.js';
import { startHarness, type Harness } from '../integration/api/harness.js';

const PUBLIC = new Set([
  'GET /api/health',
  'GET /api/auth/status',
  'POST /api/auth/setup',
  'POST /api/auth/login',
  'GET /dns-query',
  'POST /dns-query',
  // Encrypted DNS: DoH with a ClientID, the Apple profile behind a one-hour QR token, ACME's HTTP-01.
  'GET /dns-query/{clientId}',
  'POST /dns-query/{clientId}',
  `GET /api/setup/profile/${'a'.repeat(24)}`,
  `GET /.well-known/acme-challenge/${'a'.repeat(24)}`,
]);

describe('web security', () => {
  let h: Harness;
  let routes: Array<{ method: string; url: string }>;
  // The dashboard lives in <tmp>/web; a secret file sits beside it, where a traversal would reach.
  const base = mkdtempSync(join(tmpdir(), 'tracksink-web-'));

  beforeAll(async () => {
    const web = join(base, 'web');
    mkdirSync(join(web, 'assets'), { recursive: true });
    writeFileSync(
      join(web, 'index.html'),
      '<!doctype html><title>tracksink</title><script type="module" src="/assets/app.js"></script>',
    );
    writeFileSync(join(web, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(web, '..', `secret-${process.pid}.txt`), 'TOP-SECRET-CONTENT');
    h = await startHarness({ webRoot: web });
    const spec = (await h.app.inject({ method: 'GET', url: '/api/docs/json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(spec.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        url: path
          .replace(/\{id\}/g, '1')
          .replace(/\{key\}/g, 'meta')
          .replace(/\{job\}/g, 'abc')
          .replace(/\{token\}/g, 'a'.repeat(24)),
      })),
    );
  });
  afterAll(async () => {
    await h?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('serves an OpenAPI description covering the API', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(response.statusCode).toBe(200);
    const spec = response.json();
    expect(spec.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/devices',
      '/api/queries',
      '/api/rules',
      '/api/lists',
      '/api/settings',
      '/api/export',
      '/api/auth/login',
    ]) {
      expect(Object.keys(spec.paths)).toContain(path);
    }
    expect(routes.length).toBeGreaterThan(40);
  });

  it('answers 401 without a session on every non-public route', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      if (PUBLIC.has(`${route.method} ${route.url.split('?')[0]}`)) continue;
      const response = await h.app.inject({
        method: route.method as 'GET',
        url: route.url,
        payload: route.method === 'GET' ? undefined : {},
      });
      if (response.statusCode !== 401) failures.push(`${route.method} ${route.url} → ${response.statusCode}`);
      else expect(response.json()).toMatchObject({ error: 'unauthorized', message: expect.any(String) });
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 without the CSRF token on every state-changing route, changing nothing', async () => {
    const session = await h.login();
    const before = h.db
      .prepare(
        "SELECT (SELECT COUNT(*) FROM rules) + (SELECT COUNT(*) FROM settings WHERE key NOT LIKE 'state.%') AS n",
      )
      .get();
    const failures: string[] = [];
    for (const route of routes) {
      if (route.method === 'GET' || PUBLIC.has(`${route.method} ${route.url}`)) continue;
      const response = await h.app.inject({
        method: route.method as 'POST',
        url: route.url,
        headers: { cookie: session.cookie },
        payload: {},
      });
      if (response.statusCode !== 403) failures.push(`${route.method} ${route.url} → ${response.statusCode}`);
    }
    expect(failures).toEqual([]);
    expect(
      h.db
        .prepare(
          "SELECT (SELECT COUNT(*) FROM rules) + (SELECT COUNT(*) FROM settings WHERE key NOT LIKE 'state.%') AS n",
        )
        .get(),
    ).toEqual(before);
  });

  it('sends CSP without inline scripts, frame-ancestors none, nosniff and a referrer policy', async () => {
    for (const url of ['/', '/api/health', '/api/nope', '/devices/3']) {
      const response = await h.app.inject({ method: 'GET', url });
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toMatch(/default-src 'self'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      const scripts = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
      expect(scripts).toBe("'self'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('serves the dashboard, falls back to index.html for app routes, 404s missing files and API paths', async () => {
    const index = await h.app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<title>tracksink</title>');
    const asset = await h.app.inject({ method: 'GET', url: '/assets/app.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    const route = await h.app.inject({ method: 'GET', url: '/devices/3' });
    expect(route.statusCode).toBe(200);
    expect(route.body).toContain('<title>tracksink</title>');
    expect((await h.app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    const api = await h.app.inject({ method: 'GET', url: '/api/nope' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: 'not-found' });
  });

  it('answers 404 to path traversal attempts', async () => {
    for (const url of [
      '/../secret.txt',
      `/..%2fsecret-${process.pid}.txt`,
      `/%2e%2e/secret-${process.pid}.txt`,
      `/assets/..%2f..%2fsecret-${process.pid}.txt`,
      `/assets/%2e%2e/%2e%2e/secret-${process.pid}.txt`,
      '/..%5c..%5cetc%5cpasswd',
      '/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/assets/app.js%00.html',
      '/....//....//etc/passwd',
      '/.env',
    ]) {
      const response = await h.app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.body).not.toContain('TOP-SECRET-CONTENT');
    }
  });

  it('escapes CSV fields: quotes doubled, formulas neutralised', () => {
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvField('+1')).toBe(`"'+1"`);
    expect(csvField('-2')).toBe(`"'-2"`);
    expect(csvField('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(csvField('\tx')).toBe(`"'\tx"`);
    expect(csvField('a"b,c\nd')).toBe('"a""b,c\nd"');
    expect(csvLine(['ads.example.com', null, 3])).toBe('"ads.example.com","","3"\r\n');
  });

  it('rejects bodies with unknown fields or wrong types, naming the field', async () => {
    const session = await h.login();
    const unknown = await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'deny', pattern: 'x.example', evil: 1 },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toBe('body: unknown field "evil"');
    const wrongType = await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'deny', pattern: 5 },
    });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().message).toMatch(/^body\.pattern: must be of type string/);
    const notJson = await session.request({
      method: 'POST',
      url: '/api/rules',
      headers: { 'content-type': 'application/json' },
      payload: '{"action":',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toBe('bad-request');
  });
});
