/**
 * People through real encrypted DNS, the whole product in-process (services.ts) with a stub upstream: a
 * phone set to Private DNS `kid-tablet.example.test` appears as the device "kid-tablet"; given to the
 * person "Kid", whose profile "Kids" has a schedule blocking TikTok all day, it has TikTok blocked over
 * DoT (kdig and Node's tls) and over DoH (Node's http2), while a device of Kid's with its own profile
 * keeps its own. Deleting the profile ends its schedule at once. /api/health names a DoT port in use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import { startServices, type Services } from '../../../server/services.js';
import { kdig } from '../../helpers/dns-clients.js';
import { QTYPE, buildQuery, parseResponse } from '../../helpers/upstream/dns-message.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';
import { dohQuery, dotQuery } from '../../helpers/encrypted-dns-clients.js';
import { encryptedDnsConfig, firstRunSession } from '../../helpers/in-process-product.js';

/** A JSON API caller over a first-run session. */
async function session(services: Services, dir: string) {
  const inject = await firstRunSession(services, dir, 'people test password');
  return async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const response = await inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    return {
      status: response.statusCode,
      body: response.json() as Record<string, unknown> & { message?: string },
    };
  };
}

describe('people: a person’s profile and schedule over DoT and DoH', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-people-'));
  let upstream: StubDnsServer;
  let services: Services;
  let api: Awaited<ReturnType<typeof session>>;
  let dotPort = 0;
  let httpsPort = 0;
  let kidsProfile = 0;
  let kidId = 0;

  const overDot = async (name: string, clientId: string, from = '127.0.0.1') =>
    parseResponse(await dotQuery(dotPort, `${clientId}.example.test`, buildQuery(name, QTYPE.A), from))
      .answers[0]?.text;
  const overDoh = async (name: string, clientId: string) => {
    const answer = await dohQuery(httpsPort, `/dns-query/${clientId}`, buildQuery(name, QTYPE.A));
    expect(answer.status).toBe(200);
    return parseResponse(answer.body).answers[0]?.text;
  };
  const deviceNamed = (name: string) => services.devices.list().filter((device) => device.name === name);

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.7' });
    services = await startServices(encryptedDnsConfig(dir, upstream), silentLogger);
    dotPort = services.encryptedDns.dotAddress!.port;
    httpsPort = services.encryptedDns.httpsAddress!.port;
    api = await session(services, dir);
    expect((await api('PUT', '/api/schedules/time-zone', { timeZone: 'UTC' })).status).toBe(200);
    const group = await api('POST', '/api/groups', { name: 'Kids' });
    expect(group.status).toBe(201);
    kidsProfile = group.body.id as number;
    // In force all day, every day: the real clock is always inside it.
    const schedule = await api('POST', '/api/schedules', {
      name: 'No TikTok',
      groupId: kidsProfile,
      days: [0, 1, 2, 3, 4, 5, 6],
      start: '00:00',
      end: '00:00',
      action: 'block',
      apps: ['tiktok'],
    });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
  }, 60_000);

  afterAll(async () => {
    await services?.stop();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kid-tablet over DoT is the device "kid-tablet"; given to Kid (profile Kids) it has TikTok blocked over DoT and DoH', async () => {
    const first = await kdig(dotPort, 'www.tiktok.com', 'A', ['+tls', '+tls-sni=kid-tablet.example.test']);
    expect(first.status, first.raw).toBe('NOERROR');
    expect(first.answers.map((a) => a.data)).toEqual(['192.0.2.7']); // nobody's yet: no profile
    const [tablet] = deviceNamed('kid-tablet');
    expect(tablet?.nameSource).toBe('client-id');

    const kid = await api('POST', '/api/people', {
      name: 'Kid',
      profileId: kidsProfile,
      deviceIds: [tablet!.id],
    });
    expect(kid.status, JSON.stringify(kid.body)).toBe(201);
    kidId = kid.body.id as number;
    expect(kid.body).toMatchObject({
      name: 'Kid',
      profile: { id: kidsProfile, name: 'Kids' },
      devices: [{ id: tablet!.id, name: 'kid-tablet', ownProfile: false }],
    });

    const blocked = await kdig(dotPort, 'www.tiktok.com', 'A', ['+tls', '+tls-sni=kid-tablet.example.test']);
    expect(blocked.answers.map((a) => a.data)).toEqual(['0.0.0.0']);
    expect(await overDot('api16-normal-c-useast1a.tiktokv.com', 'kid-tablet')).toBe('0.0.0.0');
    expect(await overDoh('www.tiktok.com', 'kid-tablet')).toBe('0.0.0.0');
    expect(await overDoh('www.example.org', 'kid-tablet')).toBe('192.0.2.7');
    // The device's own answer says why: its person's profile's schedule.
    const owner = await api('GET', `/api/devices/${tablet!.id}/person`);
    expect(owner.body).toMatchObject({
      person: { id: kidId, name: 'Kid' },
      personProfile: { id: kidsProfile, name: 'Kids' },
    });
    await services.queryLog.flush();
    const log = await api('GET', '/api/queries?limit=50');
    const rows = (
      log.body.items as Array<{ name: string; status: string; protocol: string; device: { name: string } }>
    )
      .filter((row) => row.name === 'www.tiktok.com' && row.status === 'blocked')
      .map((row) => [row.protocol, row.device.name]);
    expect(rows.sort()).toEqual([
      ['doh', 'kid-tablet'],
      ['dot', 'kid-tablet'],
    ]);
    // The person's summary counts over their devices (the log has the tablet's queries).
    const listed = await api('GET', '/api/people');
    const summary = (listed.body.items as Array<{ id: number; summary: { queries: number } }>).find(
      (p) => p.id === kidId,
    )!.summary;
    expect(summary.queries).toBeGreaterThanOrEqual(5);
  });

  it('a device of Kid’s with a profile of its own keeps its own; an unknown ClientID becomes a device of nobody', async () => {
    const adults = await api('POST', '/api/groups', { name: 'Grown-ups' });
    expect(adults.status).toBe(201);
    expect(await overDot('www.example.org', 'kid-laptop')).toBe('192.0.2.7');
    const [laptop] = deviceNamed('kid-laptop');
    expect((await api('PATCH', `/api/devices/${laptop!.id}`, { groupIds: [adults.body.id] })).status).toBe(
      200,
    );
    const put = await api('PUT', `/api/devices/${laptop!.id}/person`, { personId: kidId });
    expect(put.body).toMatchObject({ person: { name: 'Kid' }, personProfile: null });
    expect(await overDot('www.tiktok.com', 'kid-laptop')).toBe('192.0.2.7');
    expect(await overDoh('www.tiktok.com', 'kid-laptop')).toBe('192.0.2.7');
    // Taking its own profile away: Kid's applies.
    expect((await api('PATCH', `/api/devices/${laptop!.id}`, { groupIds: [] })).status).toBe(200);
    expect(await overDot('www.tiktok.com', 'kid-laptop')).toBe('0.0.0.0');

    expect(await overDoh('www.tiktok.com', 'visitor-phone')).toBe('192.0.2.7');
    const [visitor] = deviceNamed('visitor-phone');
    expect((await api('GET', `/api/devices/${visitor!.id}/person`)).body).toMatchObject({ person: null });
  });

  it('a one-click join keeps the joined device’s history with its person: the summary counts its queries', async () => {
    await services.queryLog.flush();
    const [visitor] = deviceNamed('visitor-phone');
    const [tablet] = deviceNamed('kid-tablet');
    const kidQueries = async () =>
      (
        (await api('GET', '/api/people')).body.items as Array<{ id: number; summary: { queries: number } }>
      ).find((p) => p.id === kidId)!.summary.queries;
    const visitorQueries = (await api('GET', `/api/devices/${visitor!.id}`)).body.queries as number;
    expect(visitorQueries).toBeGreaterThan(0);
    const before = await kidQueries();
    const joined = await api('POST', '/api/rejoin-suggestions/join', {
      deviceId: visitor!.id,
      intoId: tablet!.id,
    });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(deviceNamed('visitor-phone')).toEqual([]);
    expect(await kidQueries()).toBe(before + visitorQueries);
    // Its ClientID now names the tablet: the next query from it is Kid's, with the profile in force.
    expect(await overDoh('www.tiktok.com', 'visitor-phone')).toBe('0.0.0.0');
  });

  it('the same ClientID from two addresses (a new private MAC, a new lease) stays one device', async () => {
    const before = services.devices.list().length;
    expect(await overDot('www.tiktok.com', 'kid-tablet', '127.0.0.21')).toBe('0.0.0.0');
    expect(await overDot('www.tiktok.com', 'kid-tablet', '127.0.0.22')).toBe('0.0.0.0');
    expect(deviceNamed('kid-tablet')).toHaveLength(1);
    expect(services.devices.list().length).toBe(before);
  });

  it('refuses bad input with a message that names the field, changing nothing', async () => {
    const cases: Array<[string, string, unknown, number, RegExp]> = [
      ['POST', '/api/people', { name: '   ' }, 400, /body\.name: must not be blank/],
      ['POST', '/api/people', {}, 400, /body.*"name" is required/],
      [
        'POST',
        '/api/people',
        { name: 'Mum', profileId: 999 },
        400,
        /body\.profileId: there is no profile 999/,
      ],
      [
        'POST',
        '/api/people',
        { name: 'Mum', deviceIds: [999] },
        400,
        /body\.deviceIds: there is no device 999/,
      ],
      ['POST', '/api/people', { name: 'Mum', colour: 'red' }, 400, /unknown field "colour"/],
      ['POST', '/api/people', { name: 'kid' }, 409, /body\.name: a person named "kid" already exists/],
      ['PATCH', `/api/people/${kidId}`, { profileId: 'Kids' }, 400, /body\.profileId/],
      ['PATCH', '/api/people/4242', { name: 'Nobody' }, 404, /there is no person 4242/],
      ['PUT', '/api/devices/1/person', { personId: 4242 }, 400, /body\.personId: there is no person 4242/],
      ['POST', '/api/rejoin-suggestions/join', { deviceId: 1, intoId: 1 }, 400, /body\.intoId: .*itself/],
      [
        'POST',
        '/api/rejoin-suggestions/join',
        { deviceId: 1, intoId: 4242 },
        400,
        /body\.intoId: there is no device 4242/,
      ],
    ];
    for (const [method, url, payload, status, message] of cases) {
      const response = await api(method as 'POST', url, payload);
      expect(response.status, `${method} ${url} ${JSON.stringify(payload)}`).toBe(status);
      expect(response.body.message, url).toMatch(message);
    }
    const people = (await api('GET', '/api/people')).body.items as Array<{ name: string }>;
    expect(people.map((p) => p.name)).toEqual(['Kid']);
  });

  it('deleting the profile ends its schedule at once: no stale schedule list, TikTok answered again', async () => {
    expect((await api('DELETE', `/api/groups/${kidsProfile}`)).status).toBe(200);
    const schedules = (await api('GET', '/api/schedules')).body.items as unknown[];
    expect(schedules).toEqual([]);
    expect(await overDot('www.tiktok.com', 'kid-tablet')).toBe('192.0.2.7');
    const kid = await api('GET', `/api/people/${kidId}`);
    expect(kid.body.profile).toBeNull();
  });
});

describe('health: encrypted DNS problems make the status "degraded"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-people-health-'));
  let upstream: StubDnsServer;
  let services: Services | undefined;
  let blocker: Server;

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.7' });
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await services?.stop();
    await upstream?.close();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('a DoT port already in use is named in /api/health while plain DNS serves', async () => {
    const config = encryptedDnsConfig(dir, upstream);
    config.tls.dotPort = (blocker.address() as { port: number }).port;
    services = await startServices(config, silentLogger);
    const response = await services.app.inject({ method: 'GET', url: '/api/health' });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { status: string; problems: Array<{ kind: string; message: string }> };
    expect(body.status).toBe('degraded');
    const problem = body.problems.find((p) => p.kind === 'encrypted-dns');
    expect(problem?.message).toMatch(/encrypted DNS/);
    expect(problem?.message).toMatch(new RegExp(String(config.tls.dotPort)));
  });
});
