/**
 * Issue 18: "each replica's dashboard shows the whole network's log and devices". Two tracksinks as
 * main.ts starts them (services.ts, in-process, each with its own data folder and so its own replica
 * name) share one real PostgreSQL (TRACKSINK_DATABASE_URL); each gets real DNS queries over UDP from its
 * own client address, and each one's API (overview numbers and tops, the query log with a name filter
 * and a device filter, the device list) shows the queries both replicas answered; a phone that opens
 * TikTok on the first replica shows the app and its tracker on the second one's Apps page too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL_ENV } from '../../../server/store/pg/pg-url.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';
import {
  askFrom,
  startReplicaInProcess,
  until as untilWithin,
  type InProcessReplica as Replica,
  stopInProcessReplicaSetup,
} from '../../helpers/pg-replicas.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const PASSWORD = 'replica dashboard test';
const PER_REPLICA = 12;
/** A phone asking the first replica: TikTok's API, then TikTok's event log (a tracker), three times. */
const PHONE = '127.0.0.23';
const PHONE_QUERIES = Array.from({ length: 3 }, (_, i) => [
  `api${22 + i}-normal-c-useast1a.tiktokv.com`,
  'log.tiktokv.com',
]).flat();

let server: PgServer;
let upstream: StubDnsServer;
const replicas: Replica[] = [];

/** Asks `names` one after the other from `client`; resolves when answered. */
const ask = async (port: number, client: string, names: string[]): Promise<void> => {
  await askFrom(port, client, names);
};
const startReplica = () => startReplicaInProcess({ upstream: upstream.udpUrl, password: PASSWORD });
const until = (check: () => Promise<boolean>, timeoutMs: number) =>
  untilWithin(check, timeoutMs, 'condition', 100);

type QueryPage = { items: Array<{ name: string; device: { id: number } | null; client: string | null }> };

beforeAll(async () => {
  [server, upstream] = await Promise.all([startPgServer(), startStubDnsServer({ defaultA: '192.0.2.9' })]);
  process.env[DATABASE_URL_ENV] = server.url;
  // One after the other: the second takes the shared configuration the first wrote.
  replicas.push(await startReplica());
  replicas.push(await startReplica());
  const names = (replica: string) =>
    Array.from({ length: PER_REPLICA }, (_, i) => `host${i}.${replica}.replica-test.example`);
  await ask(replicas[0]!.services.dns.udpAddress.port, PHONE, PHONE_QUERIES);
  // The phone's device reaches the second replica's registry through the shared configuration first.
  await until(async () => {
    const devices = await replicas[1]!.get<{ items: Array<{ addresses: string[] }> }>('/api/devices');
    return devices.items.some((device) => device.addresses.includes(PHONE));
  }, 10_000);
  await Promise.all([
    ask(replicas[0]!.services.dns.udpAddress.port, '127.0.0.21', names('alpha')),
    ask(replicas[1]!.services.dns.udpAddress.port, '127.0.0.22', names('beta')),
  ]);
  // Both logs shipped: every replica's rows are in PostgreSQL within a second or so.
  await until(async () => {
    const page = await replicas[0]!.get<QueryPage>('/api/queries?name=replica-test.example&limit=100');
    return page.items.length === 2 * PER_REPLICA;
  }, 15_000);
}, 120_000);

afterAll(() => stopInProcessReplicaSetup({ replicas, upstream, server }));

describe('each replica’s dashboard shows the whole network', () => {
  it('the query log holds both replicas’ queries, from both clients', async () => {
    for (const replica of replicas) {
      const page = await replica.get<QueryPage>('/api/queries?name=replica-test.example&limit=100');
      const names = new Set(page.items.map((row) => row.name));
      expect(names.size).toBe(2 * PER_REPLICA);
      expect([...names].filter((name) => name.includes('.alpha.'))).toHaveLength(PER_REPLICA);
      expect([...names].filter((name) => name.includes('.beta.'))).toHaveLength(PER_REPLICA);
      expect(new Set(page.items.map((row) => row.client))).toEqual(new Set(['127.0.0.21', '127.0.0.22']));
      // Paged, newest first: two pages of 12 are the same rows.
      const first = await replica.get<QueryPage & { nextCursor: string }>(
        '/api/queries?name=replica-test.example&limit=12',
      );
      const second = await replica.get<QueryPage>(
        `/api/queries?name=replica-test.example&limit=12&cursor=${first.nextCursor}`,
      );
      expect(new Set([...first.items, ...second.items].map((row) => row.name))).toEqual(names);
    }
  });

  it('overview numbers, top names and top devices count both replicas’ queries', async () => {
    for (const replica of replicas) {
      const summary = await replica.get<{ total: number; devicesActive: number }>(
        '/api/stats/summary?period=24h',
      );
      expect(summary.total).toBeGreaterThanOrEqual(2 * PER_REPLICA);
      const tops = await replica.get<{
        names: Array<{ name: string; queries: number }>;
        devices: Array<{ id: number; queries: number }>;
      }>('/api/stats/tops?period=24h');
      const named = tops.names.filter((row) => row.name.endsWith('.replica-test.example'));
      expect(named.map((row) => row.name).some((name) => name.includes('.alpha.'))).toBe(true);
      expect(named.map((row) => row.name).some((name) => name.includes('.beta.'))).toBe(true);
      // Every query came from a device (the two clients): the ranked devices hold them all.
      expect(tops.devices.reduce((sum, row) => sum + row.queries, 0)).toBe(summary.total);
    }
  });

  it('the device list and a device filter count what each device asked on either replica', async () => {
    for (const replica of replicas) {
      const devices = await replica.get<{ items: Array<{ id: number; queries: number }> }>(
        '/api/devices?period=24h',
      );
      const counted = devices.items.filter((device) => device.queries > 0);
      expect(counted.reduce((sum, device) => sum + device.queries, 0)).toBe(
        2 * PER_REPLICA + PHONE_QUERIES.length,
      );
      for (const device of counted) {
        const page = await replica.get<QueryPage>(`/api/queries?device=${device.id}&limit=100`);
        expect(page.items).toHaveLength(device.queries);
        expect(page.items.every((row) => row.device?.id === device.id)).toBe(true);
      }
    }
  });

  it('the Apps page of the replica the phone did not ask shows its app and the tracker with it', async () => {
    // The phone reaches this replica's devices with the shared configuration (within a second or so).
    let phone: { id: number; addresses: string[] } | undefined;
    await until(async () => {
      phone = (
        await replicas[1]!.get<{ items: Array<{ id: number; addresses: string[] }> }>('/api/devices')
      ).items.find((device) => device.addresses.includes(PHONE));
      return phone !== undefined;
    }, 5000);
    type Apps = {
      apps: Array<{ key: string; queries: number; trackers: Array<{ name: string; together: number }> }>;
    };
    // App inference counts a query once its 2 s window has passed, every 2 s (the phone's queries may
    // fall into two passes); then it is shipped.
    let seen: Apps = { apps: [] };
    await until(async () => {
      seen = await replicas[1]!.get<Apps>(`/api/devices/${phone!.id}/apps`);
      const counted = (list: Array<{ name?: string; key?: string; queries?: number; together?: number }>) =>
        list.reduce((sum, row) => sum + (row.queries ?? row.together ?? 0), 0);
      return counted(seen.apps) >= 3 && counted(seen.apps.flatMap((app) => app.trackers)) >= 3;
    }, 15_000);
    expect(seen.apps.map((app) => app.key)).toEqual(['tiktok']);
    expect(seen.apps[0]).toMatchObject({ queries: 3 });
    expect(seen.apps[0]!.trackers.find((t) => t.name === 'log.tiktokv.com')).toMatchObject({ together: 3 });
  });
});
