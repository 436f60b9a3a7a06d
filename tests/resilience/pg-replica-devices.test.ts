/**
 * One phone, one device (issue 18): two real tracksink processes on one real PostgreSQL. A phone that asks
 * both replicas at the same moment, before either knows it, is numbered by each in its own block (DNS
 * never waits for PostgreSQL); once both know it, both dashboards list it as one device under the lower
 * number within seconds (1.6 s measured alone), the higher number answers as an alias of it, and its counts (device list and device
 * page) are every query it made on either replica, under either number.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_ID_BLOCK } from '../../server/store/repos/device-aliases-repo.js';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq.js';
import { askFrom, startReplicaProcess, stopReplicaSetup, until } from '../helpers/pg-replicas.js';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';
import type { TracksinkProcess } from '../helpers/tracksink-process.js';
import { login, type HttpSession } from './helpers/http-session.js';

const PASSWORD = 'replica-devices-test';
const PHONE = '127.0.0.61';
let server: PgServer;
let upstream: Dnsmasq;
let db: pg.Pool;
const processes: TracksinkProcess[] = [];

type DeviceRow = { id: number; addresses: string[]; queries: number; blocked: number };

beforeAll(async () => {
  [server, upstream] = await Promise.all([startPgServer(), startDnsmasq(['--address=/#/203.0.113.7'])]);
  db = new pg.Pool({ connectionString: server.url, max: 2 });
  db.on('error', () => {});
  for (const name of ['alpha', 'beta']) {
    processes.push(
      await startReplicaProcess({
        databaseUrl: server.url,
        name,
        upstream: `udp://127.0.0.1:${upstream.port}`,
        password: PASSWORD,
      }),
    );
  }
}, 180_000);

afterAll(() => stopReplicaSetup({ processes, db, upstream, server }));

describe('a phone that asks both replicas before either knows it', () => {
  it('is one device on both dashboards within seconds, with every query it made counted', async () => {
    const [alpha, beta] = processes as [TracksinkProcess, TracksinkProcess];
    const names = (who: string, count: number) =>
      Array.from({ length: count }, (_, i) => `q${i}.${who}.one-phone.example`);
    const sessions: HttpSession[] = await Promise.all(processes.map((p) => login(p.baseUrl, PASSWORD)));
    // The same phone asks both at once: each replica numbers it in its own block.
    const answers = await Promise.all([
      askFrom(alpha.dnsPort, PHONE, names('alpha', 4)),
      askFrom(beta.dnsPort, PHONE, names('beta', 6)),
    ]);
    const asked = Date.now();
    expect(answers.flat().every((answer) => answer === '203.0.113.7')).toBe(true);

    const phoneOn = async (session: HttpSession) =>
      (await session.get<{ items: DeviceRow[] }>('/api/devices?period=24h')).items.filter((d) =>
        d.addresses.includes(PHONE),
      );
    await until(
      async () => {
        const lists = await Promise.all(sessions.map(phoneOn));
        return lists.every((list) => list.length === 1) && lists[0]![0]!.id === lists[1]![0]!.id;
      },
      10_000,
      'one device for the phone on both dashboards',
    );
    // Measured from the phone's last answer, before which neither replica could know the other's device.
    // 1.6 s with this file alone (load 16); 2.8 s beside another two-replica file, as CI runs two files at
    // once: two configuration imports in turn. The bound is for a join that never comes; bench/GAP.md has
    // the figures ("Issue 18, replicas pass").
    expect(Date.now() - asked).toBeLessThan(6000);

    // Both replicas numbered it (the situation this test is about), each in its own block.
    await until(
      async () =>
        (await db.query("SELECT 1 FROM query_log WHERE name LIKE '%.one-phone.example'")).rowCount === 10,
      10_000,
      'both logs shipped',
    );
    const logged = await db.query<{ device_id: string }>(
      "SELECT DISTINCT device_id FROM query_log WHERE name LIKE '%.one-phone.example' ORDER BY 1",
    );
    const ids = logged.rows.map((row) => Number(row.device_id));
    expect(ids).toHaveLength(2);
    expect(Math.floor(ids[0]! / DEVICE_ID_BLOCK)).not.toBe(Math.floor(ids[1]! / DEVICE_ID_BLOCK));
    const [lower, higher] = ids as [number, number];

    for (const session of sessions) {
      // The lower number wins; the higher answers as an alias of it.
      expect((await phoneOn(session)).map((d) => d.id)).toEqual([lower]);
      expect((await session.get<DeviceRow>(`/api/devices/${higher}`)).id).toBe(lower);
      // Counts follow the join: the list and the device page count the rows under both numbers.
      await until(
        async () => (await phoneOn(session))[0]?.queries === 10,
        10_000,
        'the device list counts both numbers',
      );
      expect((await session.get<DeviceRow>(`/api/devices/${lower}?period=24h`)).queries).toBe(10);
    }

    // From now on both replicas log the phone under the one number.
    await Promise.all([
      askFrom(alpha.dnsPort, PHONE, ['after.alpha.one-phone-later.example']),
      askFrom(beta.dnsPort, PHONE, ['after.beta.one-phone-later.example']),
    ]);
    await until(
      async () =>
        (await db.query("SELECT 1 FROM query_log WHERE name LIKE '%.one-phone-later.example'")).rowCount ===
        2,
      10_000,
      'the later queries shipped',
    );
    const later = await db.query<{ device_id: string }>(
      "SELECT DISTINCT device_id FROM query_log WHERE name LIKE '%.one-phone-later.example'",
    );
    expect(later.rows.map((row) => Number(row.device_id))).toEqual([lower]);
  }, 120_000);
});
