/**
 * Issue 18, two replicas changing things at the same moment (services.ts in-process, each with its own
 * data folder and replica name, one real PostgreSQL):
 * - rules made on both dashboards at once are both in force on both replicas within 2 s (the
 *   configuration's version is compared and set; the losing write merges its change on top);
 * - new clients seen by both replicas at once become two devices with their own numbers (each replica
 *   numbers devices in its own block), and each replica's device list, read from PostgreSQL's log, shows
 *   each device once with its own queries;
 * - a group with one name made on both at once is one group, with the devices either put in it
 *   (store/pg/config-merge.ts joins same-named new rows).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL_ENV } from '../../../server/store/pg/pg-url.js';
import { DEVICE_ID_BLOCK } from '../../../server/store/repos/device-aliases-repo.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';
import {
  askFrom as ask,
  startReplicaInProcess,
  until,
  type InProcessReplica as Replica,
  stopInProcessReplicaSetup,
} from '../../helpers/pg-replicas.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const PASSWORD = 'replica merge test';

let server: PgServer;
let upstream: StubDnsServer;
const replicas: Replica[] = [];

const startReplica = () => startReplicaInProcess({ upstream: upstream.udpUrl, password: PASSWORD });

beforeAll(async () => {
  [server, upstream] = await Promise.all([startPgServer(), startStubDnsServer({ defaultA: '192.0.2.9' })]);
  process.env[DATABASE_URL_ENV] = server.url;
  replicas.push(await startReplica());
  replicas.push(await startReplica());
}, 120_000);

afterAll(() => stopInProcessReplicaSetup({ replicas, upstream, server }));

type RuleList = { items: Array<{ id: number; pattern: string }> };

describe('two replicas changing the configuration at the same moment', () => {
  it('rules made on both at once are both in force on both within 2 s', async () => {
    const [alpha, beta] = replicas as [Replica, Replica];
    for (let round = 0; round < 3; round++) {
      const ours = `alpha-${round}.merge-test.example`;
      const theirs = `beta-${round}.merge-test.example`;
      await Promise.all([
        alpha.post('/api/rules', { action: 'deny', pattern: ours }),
        beta.post('/api/rules', { action: 'deny', pattern: theirs }),
      ]);
      for (const replica of replicas) {
        const took = await until(
          async () => {
            const patterns = new Set((await replica.get<RuleList>('/api/rules')).items.map((r) => r.pattern));
            return patterns.has(ours) && patterns.has(theirs);
          },
          5000,
          `round ${round}: both rules`,
        );
        expect(took).toBeLessThan(2000);
        const port = replica.services.dns.udpAddress.port;
        expect(await ask(port, '127.0.0.1', [`x.${ours}`, `x.${theirs}`])).toEqual(['0.0.0.0', '0.0.0.0']);
      }
      // One rule per pattern, each under its own number, the same on both replicas.
      const lists = await Promise.all(replicas.map((r) => r.get<RuleList>('/api/rules')));
      const ids = lists.map((list) =>
        list.items
          .filter((r) => r.pattern.endsWith('.merge-test.example'))
          .map((r) => `${r.id} ${r.pattern}`),
      );
      expect(ids[0]).toEqual(ids[1]);
      expect(new Set(ids[0]!.map((entry) => entry.split(' ')[0])).size).toBe(2 * (round + 1));
    }
  }, 60_000);

  it('new clients seen by both at once are two devices, each listed once with its own queries', async () => {
    const [alpha, beta] = replicas as [Replica, Replica];
    const names = (who: string, count: number) =>
      Array.from({ length: count }, (_, i) => `n${i}.${who}.device-test.example`);
    await Promise.all([
      ask(alpha.services.dns.udpAddress.port, '127.0.0.41', names('first', 5)),
      ask(beta.services.dns.udpAddress.port, '127.0.0.42', names('second', 7)),
    ]);
    type DeviceList = { items: Array<{ id: number; addresses: string[]; queries: number }> };
    const wanted = new Map([
      ['127.0.0.41', 5],
      ['127.0.0.42', 7],
    ]);
    for (const replica of replicas) {
      await until(
        async () => {
          const devices = (await replica.get<DeviceList>('/api/devices?period=24h')).items;
          return [...wanted].every(
            ([address, queries]) =>
              devices.filter((d) => d.addresses.includes(address)).length === 1 &&
              devices.find((d) => d.addresses.includes(address))?.queries === queries,
          );
        },
        10_000,
        'each device once with its own queries',
      );
    }
    const [first, second] = await Promise.all(
      replicas.map((r) => r.get<DeviceList>('/api/devices?period=24h')),
    );
    const idOf = (list: DeviceList, address: string) =>
      list.items.find((d) => d.addresses.includes(address))?.id;
    expect(idOf(first!, '127.0.0.41')).toBe(idOf(second!, '127.0.0.41'));
    expect(idOf(first!, '127.0.0.42')).toBe(idOf(second!, '127.0.0.42'));
    expect(idOf(first!, '127.0.0.41')).not.toBe(idOf(first!, '127.0.0.42'));
    // Numbered in each replica's own block.
    expect(idOf(first!, '127.0.0.41')).toBeGreaterThanOrEqual(DEVICE_ID_BLOCK);
    expect(Math.floor(idOf(first!, '127.0.0.41')! / DEVICE_ID_BLOCK)).not.toBe(
      Math.floor(idOf(first!, '127.0.0.42')! / DEVICE_ID_BLOCK),
    );
  }, 60_000);

  it('a group with one name made on both at once is one group with the devices either put in it', async () => {
    const [alpha, beta] = replicas as [Replica, Replica];
    type DeviceList = { items: Array<{ id: number; addresses: string[] }> };
    const devices = (await alpha.get<DeviceList>('/api/devices?period=24h')).items;
    const idAt = (address: string) => devices.find((d) => d.addresses.includes(address))!.id;
    const [first, second] = [idAt('127.0.0.41'), idAt('127.0.0.42')];
    await Promise.all([
      alpha.post('/api/groups', { name: 'Kids', description: 'made on alpha', deviceIds: [first] }),
      beta.post('/api/groups', { name: 'kids', deviceIds: [second] }),
    ]);
    type GroupList = { items: Array<{ id: number; name: string; deviceIds: number[] }> };
    const kids = async (replica: Replica) =>
      (await replica.get<GroupList>('/api/groups')).items.filter((g) => g.name.toLowerCase() === 'kids');
    for (const replica of replicas) {
      await until(
        async () => {
          const found = await kids(replica);
          return found.length === 1 && [first, second].every((id) => found[0]!.deviceIds.includes(id));
        },
        10_000,
        'one Kids group with both devices',
      );
    }
    const [onAlpha, onBeta] = await Promise.all(replicas.map(kids));
    expect(onAlpha).toEqual(onBeta);
  }, 60_000);
});

describe('dashboard logins shared by the replicas', () => {
  it('a login on one replica is valid on the other; a logout there ends it on both', async () => {
    const [alpha, beta] = replicas as [Replica, Replica];
    const login = await alpha.services.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const cookie = `tracksink_session=${login.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
    const { csrfToken } = login.json<{ csrfToken: string }>();
    const status = async (replica: Replica) =>
      (await replica.services.app.inject({ method: 'GET', url: '/api/rules', headers: { cookie } }))
        .statusCode;
    const took = await until(async () => (await status(beta)) === 200, 5000, 'the login valid on beta');
    expect(took).toBeLessThan(2000);
    // A change needs the session's CSRF token, on the other replica too.
    const rule = await beta.services.app.inject({
      method: 'POST',
      url: '/api/rules',
      payload: { action: 'deny', pattern: 'session-test.example' },
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(rule.statusCode, rule.body).toBe(201);
    const logout = await beta.services.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(logout.statusCode, logout.body).toBeLessThan(300);
    expect(await status(beta)).toBe(401);
    const ended = await until(async () => (await status(alpha)) === 401, 5000, 'the logout on alpha');
    expect(ended).toBeLessThan(2000);
  }, 60_000);
});
