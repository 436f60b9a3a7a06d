/**
 * Two replicas, each given a list file of its own disk (lists.extra, what TRACKSINK_BLOCKLISTS sets), on one
 * real PostgreSQL. Each path enters the shared configuration, and lies outside the other replica's
 * lists.fileDir. The other replica used to refuse every configuration version holding it, and with it the
 * devices and changes made alongside. Now it takes them: the foreign list shows as unreadable there (its
 * file is never read), the replica's own list still blocks, and a device met on one replica is on the other.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

const PASSWORD = 'replica local lists test';
const PHONE = '127.0.0.41';

let server: PgServer;
let upstream: StubDnsServer;
const replicas: Replica[] = [];

type ListsPage = Array<{ source: string; entries: number; loaded: boolean }> | { items: unknown[] };
const listsOf = async (replica: Replica): Promise<Array<Record<string, unknown>>> => {
  const page = await replica.get<ListsPage>('/api/lists');
  return (Array.isArray(page) ? page : page.items) as Array<Record<string, unknown>>;
};

/** A replica whose own list file, in its own data folder, blocks `blocked`. */
const startReplica = (blocked: string) =>
  startReplicaInProcess({
    upstream: upstream.udpUrl,
    password: PASSWORD,
    configure: (config) => {
      const file = join(config.dataDir, 'household.txt');
      writeFileSync(file, `0.0.0.0 ${blocked}\n`);
      config.lists.extra = [file];
    },
  });

beforeAll(async () => {
  [server, upstream] = await Promise.all([startPgServer(), startStubDnsServer({ defaultA: '192.0.2.9' })]);
  process.env[DATABASE_URL_ENV] = server.url;
  replicas.push(await startReplica('ads.first.example'));
  replicas.push(await startReplica('ads.second.example'));
}, 120_000);

afterAll(() => stopInProcessReplicaSetup({ replicas, upstream, server }));

describe('replicas with list files of their own', () => {
  it('each takes the other’s configuration, showing the other’s file as unreadable here', async () => {
    const [first, second] = replicas as [Replica, Replica];
    const firstFile = join(first.dir, 'household.txt');
    await untilWithin(
      async () => (await listsOf(second)).some((list) => list.source === firstFile),
      10_000,
      "the first replica's list on the second",
      100,
    );
    const foreign = (await listsOf(second)).find((list) => list.source === firstFile)!;
    expect(foreign.entries).toBe(0);
    expect(JSON.stringify(foreign)).toContain('list directory');

    // Its own list still blocks; the other's name is not blocked here (its file was not read).
    expect(await askFrom(second.dnsPort, '127.0.0.42', ['ads.second.example'])).toEqual(['0.0.0.0']);
    expect(await askFrom(second.dnsPort, '127.0.0.42', ['ads.first.example'])).toEqual(['192.0.2.9']);
  });

  it('a device met on one replica is on the other', async () => {
    const [first, second] = replicas as [Replica, Replica];
    expect(await askFrom(first.dnsPort, PHONE, ['www.phone.example'])).toEqual(['192.0.2.9']);
    await untilWithin(
      async () => {
        const devices = await second.get<{ items: Array<{ addresses: string[] }> }>('/api/devices');
        return devices.items.some((device) => device.addresses.includes(PHONE));
      },
      10_000,
      "the phone on the second replica's device list",
      100,
    );
  });
});
