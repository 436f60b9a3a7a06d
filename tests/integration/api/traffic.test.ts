/**
 * The API over the real modules with real DNS traffic: metrics after known queries, DoH, the query log,
 * devices, explain, rules that change answers, pause, company policy, health.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig } from '../../helpers/dns-clients.js';
import { buildQuery } from '../../helpers/upstream/dns-message.js';
import { BLOCKED_NAMES, startStack, type Stack } from './stack.js';
import type { Session } from './harness.js';

function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('API over the real modules and real DNS traffic', () => {
  let s: Stack;
  let session: Session;

  beforeAll(async () => {
    s = await startStack();
    session = await s.login();
    // Known traffic: 2 blocked A from 127.0.0.2, 3 forwarded (1 A, 1 AAAA, 1 repeated → cached) from 127.0.0.3.
    for (const name of BLOCKED_NAMES) await dig(s.dnsPort, name, 'A', ['-b', '127.0.0.2']);
    await dig(s.dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.3']);
    await dig(s.dnsPort, 'www.example.org', 'AAAA', ['-b', '127.0.0.3']);
    await dig(s.dnsPort, 'www.example.org', 'A', ['-b', '127.0.0.3']);
    await s.queryLog.flush();
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('health is 200 with DNS addresses, list entries and log counts', async () => {
    const health = await s.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(200);
    const body = health.json();
    expect(body.status).toBe('ok');
    expect(body.dns.udp).toBe(`127.0.0.1:${s.dnsPort}`);
    expect(body.lists.entries).toBeGreaterThanOrEqual(BLOCKED_NAMES.length);
    expect(body.log.written).toBeGreaterThanOrEqual(5);
  });

  it('exposes metrics with names, labels and the values of the traffic sent', async () => {
    const response = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(metricValue(text, 'tracksink_dns_queries_total', { status: 'blocked' })).toBe(2);
    expect(metricValue(text, 'tracksink_dns_queries_total', { status: 'forwarded' })).toBe(2);
    expect(metricValue(text, 'tracksink_dns_queries_total', { status: 'cached' })).toBe(1);
    expect(metricValue(text, 'tracksink_dns_queries_by_type_total', { type: 'A' })).toBe(4);
    expect(metricValue(text, 'tracksink_dns_queries_by_type_total', { type: 'AAAA' })).toBe(1);
    expect(metricValue(text, 'tracksink_dns_answer_duration_seconds_count')).toBe(5);
    expect(metricValue(text, 'tracksink_dns_answer_duration_seconds_bucket', { le: '+Inf' })).toBe(5);
    expect(metricValue(text, 'tracksink_dns_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(metricValue(text, 'tracksink_dns_cache_entries')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'tracksink_upstream_answers_total', { upstream: s.stub.udpUrl })).toBe(2);
    expect(metricValue(text, 'tracksink_upstream_latency_seconds_count', { upstream: s.stub.udpUrl })).toBe(
      2,
    );
    expect(metricValue(text, 'tracksink_list_entries', { list: 'test list' })).toBe(BLOCKED_NAMES.length);
    expect(
      metricValue(text, 'tracksink_list_last_refresh_timestamp_seconds', { list: 'test list' }),
    ).toBeGreaterThan(1e9);
    expect(metricValue(text, 'tracksink_log_events_total', { result: 'written' })).toBe(5);
    expect(metricValue(text, 'tracksink_log_events_total', { result: 'dropped' })).toBe(0);
    expect(metricValue(text, 'tracksink_devices_active')).toBe(2);
  });

  it('lists the queries newest first with status, reason, device and a working cursor', async () => {
    const page = await session.request({ method: 'GET', url: '/api/queries?limit=3' });
    expect(page.statusCode).toBe(200);
    const body = page.json();
    expect(body.items).toHaveLength(3);
    expect(body.items[0]).toMatchObject({ name: 'www.example.org', type: 'A', status: 'cached' });
    expect(body.items[0].time).toBeGreaterThanOrEqual(body.items[1].time);
    expect(body.nextCursor).toMatch(/^\d+$/);
    const older = (
      await session.request({ method: 'GET', url: `/api/queries?limit=3&cursor=${body.nextCursor}` })
    ).json();
    expect(older.items).toHaveLength(2);
    expect(older.items.map((row: { name: string }) => row.name).sort()).toEqual([...BLOCKED_NAMES].sort());
    expect(older.items[0]).toMatchObject({ status: 'blocked', reason: 'list', list: { name: 'test list' } });
    expect(older.items[0].device).toMatchObject({ id: expect.any(Number), name: expect.any(String) });
    expect(older.items[0]).toHaveProperty('company');

    const blocked = (await session.request({ method: 'GET', url: '/api/queries?status=blocked' })).json();
    expect(blocked.items).toHaveLength(2);
    const bad = await session.request({ method: 'GET', url: '/api/queries?status=nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^querystring\.status: must be one of/);
  });

  it('lists devices by address with their counts, and renames one', async () => {
    const list = await session.request({ method: 'GET', url: '/api/devices' });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as Array<{
      id: number;
      name: string;
      mac: null;
      addresses: string[];
      queries: number;
      blocked: number;
    }>;
    const two = items.find((d) => d.addresses.includes('127.0.0.2'));
    const three = items.find((d) => d.addresses.includes('127.0.0.3'));
    expect(two).toMatchObject({ mac: null, queries: 2, blocked: 2 });
    expect(three).toMatchObject({ queries: 3, blocked: 0 });
    const renamed = await session.request({
      method: 'PATCH',
      url: `/api/devices/${two!.id}`,
      payload: { name: 'Kitchen TV', type: 'tv' },
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: 'Kitchen TV', type: 'tv' });
    expect((await session.request({ method: 'GET', url: `/api/devices/${two!.id}` })).json().name).toBe(
      'Kitchen TV',
    );
    const badType = await session.request({
      method: 'PATCH',
      url: `/api/devices/${two!.id}`,
      payload: { type: 'toaster' },
    });
    expect(badType.statusCode).toBe(400);
    expect(badType.json().message).toMatch(/body\.type/);
    expect(
      (await session.request({ method: 'PATCH', url: '/api/devices/9999', payload: { name: 'x' } }))
        .statusCode,
    ).toBe(404);
  });

  it('summary, series and tops count the traffic', async () => {
    const summary = (await session.request({ method: 'GET', url: '/api/stats/summary?period=24h' })).json();
    expect(summary).toMatchObject({ total: 5, blocked: 2, devicesActive: 2 });
    expect(summary.blockedShare).toBeCloseTo(0.4);
    const series = (await session.request({ method: 'GET', url: '/api/stats/timeseries?period=24h' })).json();
    const blocked = series.series.find((entry: { status: string }) => entry.status === 'blocked');
    expect(blocked.counts.reduce((a: number, b: number) => a + b, 0)).toBe(2);
    expect(series.buckets).toHaveLength(blocked.counts.length);
    const tops = (await session.request({ method: 'GET', url: '/api/stats/tops?period=7d' })).json();
    expect(tops.blockedNames.map((row: { name: string }) => row.name).sort()).toEqual(
      [...BLOCKED_NAMES].sort(),
    );
    expect(tops.devices).toHaveLength(2);
    expect((await session.request({ method: 'GET', url: '/api/stats/summary?period=1y' })).statusCode).toBe(
      400,
    );
  });

  it('answers DNS over HTTPS (GET and POST) through the same pipeline', async () => {
    const query = buildQuery(BLOCKED_NAMES[0] as string, 1, { id: 0x1234 });
    const get = await s.app.inject({ method: 'GET', url: `/dns-query?dns=${query.toString('base64url')}` });
    expect(get.statusCode).toBe(200);
    expect(get.headers['content-type']).toBe('application/dns-message');
    const answer = get.rawPayload;
    expect(answer.readUInt16BE(0)).toBe(0x1234);
    expect(answer.readUInt16BE(6)).toBe(1); // one answer: the sinkhole A
    expect([...answer.subarray(answer.length - 4)]).toEqual([0, 0, 0, 0]);
    const post = await s.app.inject({
      method: 'POST',
      url: '/dns-query',
      headers: { 'content-type': 'application/dns-message' },
      payload: buildQuery('www.example.org', 1, { id: 7 }),
    });
    expect(post.statusCode).toBe(200);
    expect(post.rawPayload.readUInt16BE(0)).toBe(7);
    expect([...post.rawPayload.subarray(post.rawPayload.length - 4)]).toEqual([192, 0, 2, 1]);
    const bad = await s.app.inject({ method: 'GET', url: '/dns-query?dns=AAAA' });
    expect(bad.statusCode).toBe(400);
    const wrongType = await s.app.inject({
      method: 'POST',
      url: '/dns-query',
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    });
    expect([400, 415]).toContain(wrongType.statusCode);
  });

  it('an allow rule for one device makes a blocked name resolve for it only; explain says why', async () => {
    const devices = (await session.request({ method: 'GET', url: '/api/devices' })).json().items as Array<{
      id: number;
      addresses: string[];
    }>;
    const device = devices.find((d) => d.addresses.includes('127.0.0.3'))!;
    const rule = await session.request({
      method: 'POST',
      url: '/api/rules',
      payload: {
        action: 'allow',
        match: 'exact',
        pattern: 'ADS.Example.com.',
        deviceId: device.id,
        duration: '1h',
      },
    });
    expect(rule.statusCode).toBe(201);
    expect(rule.json()).toMatchObject({ pattern: 'ads.example.com', deviceId: device.id, action: 'allow' });
    expect(rule.json().expiresAt).toBeGreaterThan(Date.now() + 59 * 60_000);
    const allowed = await dig(s.dnsPort, 'ads.example.com', 'A', ['-b', '127.0.0.3']);
    expect(allowed.answers[0]?.data).toBe('192.0.2.1');
    const stillBlocked = await dig(s.dnsPort, 'ads.example.com', 'A', ['-b', '127.0.0.2']);
    expect(stillBlocked.answers[0]?.data).toBe('0.0.0.0');

    const explain = await session.request({
      method: 'GET',
      url: `/api/explain?name=ads.example.com&device=${device.id}`,
    });
    expect(explain.statusCode).toBe(200);
    expect(explain.json()).toMatchObject({ verdict: 'allowed', reason: 'local-allow' });
    expect(
      explain
        .json()
        .matches.some((m: { source: string; winner: boolean }) => m.source === 'user-rule' && m.winner),
    ).toBe(true);
    const other = (await session.request({ method: 'GET', url: '/api/explain?name=ads.example.com' })).json();
    expect(other.verdict).toBe('blocked');
    expect(other.matches.find((m: { winner: boolean }) => m.winner)).toMatchObject({
      source: 'list',
      listName: 'test list',
      text: '0.0.0.0 ads.example.com',
    });
    const badName = await session.request({ method: 'GET', url: '/api/explain?name=bad..name' });
    expect(badName.statusCode).toBe(400);
    expect(badName.json().message).toMatch(/querystring\.name/);

    // The log says why in words (the codes stay beside them): whose rule, for which device.
    const typed = await session.request({
      method: 'PATCH',
      url: `/api/devices/${device.id}`,
      payload: { type: 'phone' },
    });
    expect(typed.statusCode).toBe(200);
    await s.queryLog.flush();
    const whyOf = async (limit = 2) =>
      (
        await session.request({ method: 'GET', url: `/api/queries?name=ads.example.com&limit=${limit}` })
      ).json().items as Array<{ status: string; reason: string; why: string; device: { id: number } }>;
    const [blockedRow, allowedRow] = await whyOf();
    expect(allowedRow).toMatchObject({
      status: 'allowed',
      reason: 'local-allow',
      why: 'Allowed by your rule for this phone',
      device: { id: device.id },
    });
    expect(blockedRow).toMatchObject({
      status: 'blocked',
      reason: 'list',
      why: 'Blocked: on the list “test list”',
    });

    expect(
      (await session.request({ method: 'DELETE', url: `/api/rules/${rule.json().id}` })).statusCode,
    ).toBe(200);
    const blockedAgain = await dig(s.dnsPort, 'ads.example.com', 'A', ['-b', '127.0.0.3']);
    expect(blockedAgain.answers[0]?.data).toBe('0.0.0.0');
    await s.queryLog.flush();
    const afterDelete = await whyOf(3);
    expect(afterDelete[2]).toMatchObject({
      reason: 'local-allow',
      why: 'Allowed by your rule (since removed)',
    });
  });

  it('a global pause lets blocked names through until resumed', async () => {
    const pause = await session.request({ method: 'POST', url: '/api/pause', payload: { duration: '5m' } });
    expect(pause.statusCode).toBe(200);
    expect(pause.json().globalUntil).toBeGreaterThan(Date.now());
    const paused = await dig(s.dnsPort, 'tracker.example.net', 'A', ['-b', '127.0.0.2']);
    expect(paused.answers[0]?.data).toBe('192.0.2.1');
    const resume = await session.request({ method: 'POST', url: '/api/pause', payload: { duration: null } });
    expect(resume.json().globalUntil).toBeNull();
    s.dns.clearCache();
    const blocked = await dig(s.dnsPort, 'tracker.example.net', 'A', ['-b', '127.0.0.2']);
    expect(blocked.answers[0]?.data).toBe('0.0.0.0');
    const bad = await session.request({
      method: 'POST',
      url: '/api/pause',
      payload: { duration: 'forever' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/body\.duration/);
  });

  it('pauses one device through its own route and shows it in the pause state', async () => {
    const devices = (await session.request({ method: 'GET', url: '/api/devices' })).json().items as Array<{
      id: number;
      addresses: string[];
    }>;
    const device = devices.find((d) => d.addresses.includes('127.0.0.2'))!;
    const paused = await session.request({
      method: 'POST',
      url: `/api/devices/${device.id}/pause`,
      payload: { duration: '10m' },
    });
    expect(paused.statusCode).toBe(200);
    expect(paused.json().pausedUntil).toBeGreaterThan(Date.now());
    const state = (await session.request({ method: 'GET', url: '/api/pause' })).json();
    expect(state.devices).toEqual([{ id: device.id, until: paused.json().pausedUntil }]);
    const answer = await dig(s.dnsPort, 'ads.example.com', 'A', ['-b', '127.0.0.2']);
    expect(answer.answers[0]?.data).toBe('192.0.2.1');
    await session.request({
      method: 'POST',
      url: `/api/devices/${device.id}/pause`,
      payload: { duration: null },
    });
    expect((await session.request({ method: 'GET', url: '/api/pause' })).json().devices).toEqual([]);
  });

  it('lists and company policy: entries counted, policy saved with dual-use endpoints listed', async () => {
    const lists = (await session.request({ method: 'GET', url: '/api/lists' })).json();
    expect(lists.items).toHaveLength(1);
    expect(lists.items[0]).toMatchObject({ name: 'test list', entries: 2, enabled: true, lastError: null });
    const policy = await session.request({
      method: 'PUT',
      url: '/api/companies/meta/policy',
      payload: { policy: 'block-everything' },
    });
    expect(policy.statusCode).toBe(200);
    expect(policy.json().policy).toBe('block-everything');
    expect(policy.json().dualUse.length).toBeGreaterThan(0);
    // What stops working when everything of the company is blocked: its own apps, by name.
    expect(policy.json().apps).toEqual(expect.arrayContaining(['Instagram', 'WhatsApp']));
    const tiktok = (await session.request({ method: 'GET', url: '/api/companies/bytedance/policy' })).json();
    expect(tiktok.apps).toContain('TikTok');
    expect((await session.request({ method: 'GET', url: '/api/companies/meta/policy' })).json().policy).toBe(
      'block-everything',
    );
    const unknown = await session.request({
      method: 'PUT',
      url: '/api/companies/nobody/policy',
      payload: { policy: 'allow' },
    });
    expect(unknown.statusCode).toBe(404);
    const bad = await session.request({
      method: 'PUT',
      url: '/api/companies/meta/policy',
      payload: { policy: 'maybe' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(
      /body\.policy: must be one of "block-tracking", "block-everything", "allow"/,
    );
  });

  it('tells the visiting browser whether its DNS goes through tracksink', async () => {
    const check = await session.request({
      method: 'GET',
      url: '/api/setup/check',
      remoteAddress: '127.0.0.3',
    });
    expect(check.statusCode).toBe(200);
    const body = check.json();
    expect(body).toMatchObject({ clientAddress: '127.0.0.3', recentQueries: true });
    expect(body.probeName).toMatch(/^[a-f0-9]{24}\.check\.tracksink\.home\.arpa$/);
    const before = (await session.request({ method: 'GET', url: `/api/setup/check/${body.token}` })).json();
    expect(before.seen).toBe(false);
    await dig(s.dnsPort, body.probeName, 'A', ['-b', '127.0.0.3']);
    await s.queryLog.flush();
    const after = (await session.request({ method: 'GET', url: `/api/setup/check/${body.token}` })).json();
    expect(after).toMatchObject({ seen: true, seenFrom: '127.0.0.3', sameAddress: true });
    const unknownClient = (
      await session.request({ method: 'GET', url: '/api/setup/check', remoteAddress: '192.0.2.99' })
    ).json();
    expect(unknownClient.recentQueries).toBe(false);
  });

  it('keeps untrusted names inert: JSON strings as they came, CSV with formulas neutralised', async () => {
    const evil = '=2+5.<script>x</script>.example.org';
    await dig(s.dnsPort, evil, 'A', ['-b', '127.0.0.3']);
    await s.queryLog.flush();
    const page = await session.request({ method: 'GET', url: '/api/queries?name=%3D2%2B5' });
    expect(page.headers['content-type']).toMatch(/^application\/json/);
    const row = page.json().items[0];
    expect(row.name).toBe(evil.toLowerCase());
    const csv = await session.request({ method: 'GET', url: '/api/queries.csv?name=%3D2%2B5' });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      '"time","name","type","status","reason","device","client","company","list","cname","why"',
    );
    expect(lines[1]).toContain(`"'${evil.toLowerCase()}"`);
    expect(lines).toHaveLength(2);
  });

  it('ranks tracker companies and categories with their devices and names', async () => {
    await dig(s.dnsPort, 'ct.pinterest.com', 'A', ['-b', '127.0.0.2']);
    await dig(s.dnsPort, 'ct.pinterest.com', 'A', ['-b', '127.0.0.2']);
    await s.queryLog.flush();
    const companies = await session.request({ method: 'GET', url: '/api/companies?period=24h' });
    expect(companies.statusCode).toBe(200);
    const pinterest = companies.json().items.find((item: { key: string }) => item.key === 'pinterest');
    // The stack has no built-in catalog list subscribed, so attribution counts them but nothing blocks them.
    expect(pinterest).toMatchObject({
      name: 'Pinterest',
      queries: 2,
      blocked: 0,
      trackingAttempts: 2,
      policy: 'block-tracking',
    });
    expect(pinterest.category).toMatchObject({ key: expect.any(String), name: expect.any(String) });
    // Its devices and names: asked per company (the dashboard does when a company card is opened).
    const detail = await session.request({ method: 'GET', url: '/api/companies/pinterest?period=24h' });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({ key: 'pinterest', period: '24h', queries: 2, blocked: 0 });
    expect(detail.json().devices).toEqual([expect.objectContaining({ queries: 2, blocked: 0 })]);
    expect(detail.json().names).toEqual([
      { name: 'ct.pinterest.com', kind: 'tracker', queries: 2, blocked: 0 },
    ]);
    expect(detail.json()).toMatchObject({ trackingAttempts: 2, serviceUses: 0 });
    const two = (await session.request({ method: 'GET', url: '/api/devices' }))
      .json()
      .items.find((d: { addresses: string[] }) => d.addresses.includes('127.0.0.2'));
    expect(detail.json().devices[0].id).toBe(two.id);
    const unknown = await session.request({ method: 'GET', url: '/api/companies/nobody' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toBe('there is no company "nobody" in the catalog');
    const badPeriod = await session.request({ method: 'GET', url: '/api/companies/pinterest?period=1y' });
    expect(badPeriod.statusCode).toBe(400);
    expect(badPeriod.json().message).toMatch(/^querystring\.period: /);
    const anonymous = await s.app.inject({ method: 'GET', url: '/api/companies/pinterest' });
    expect(anonymous.statusCode).toBe(401);
    const categories = (await session.request({ method: 'GET', url: '/api/categories?period=24h' })).json();
    const category = categories.items.find((item: { key: string }) => item.key === 'advertising');
    expect(category.queries).toBeGreaterThanOrEqual(2);
    expect(category.companies.map((c: { key: string }) => c.key)).toContain('pinterest');
    expect(category.devices).toEqual([expect.objectContaining({ id: two.id, queries: 2 })]);
    const query = (await session.request({ method: 'GET', url: '/api/queries?company=pinterest' })).json();
    expect(query.items).toHaveLength(2);
    expect(query.items[0].company).toEqual({
      id: pinterest.id,
      key: 'pinterest',
      name: 'Pinterest',
      owner: null,
    });
    expect(query.items[0].kind).toBe('tracker');
    const badCompany = await session.request({ method: 'GET', url: '/api/queries?company=nobody' });
    expect(badCompany.statusCode).toBe(400);
    expect(badCompany.json().message).toMatch(/querystring\.company: there is no company "nobody"/);
  });

  it('streams newly logged queries over Server-Sent Events', async () => {
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const address = s.app.server.address() as { port: number };
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${address.port}/api/queries/live`, {
      headers: { cookie: session.cookie },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    await dig(s.dnsPort, 'live.example.org', 'A', ['-b', '127.0.0.3']);
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('live.example.org') && Date.now() < deadline) {
      const { value, done } = await Promise.race([
        reader.read(),
        new Promise<{ value: undefined; done: true }>((resolve) =>
          setTimeout(() => resolve({ value: undefined, done: true }), 10_000),
        ),
      ]);
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const event = text.split('\n\n').find((chunk) => chunk.includes('live.example.org'));
    expect(event).toMatch(/event: query/);
    const data = JSON.parse(/data: (.*)/.exec(event ?? '')?.[1] ?? '{}');
    expect(data).toMatchObject({ name: 'live.example.org', status: 'forwarded', type: 'A' });
  });
});
