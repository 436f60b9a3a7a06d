/**
 * The dashboard password shared by replicas (issue 18): two tracksinks (services.ts in-process, each with
 * its own data folder, hence its own replica name) on one real PostgreSQL, neither with http.password. The
 * password set at first-run setup on one is the password of the other within 2 s (its setup closes); a
 * change on the other holds on the first within 2 s, where the old password stops working; a replica
 * whose http.password (TRACKSINK_PASSWORD) is set keeps that one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL_ENV } from '../../../server/store/pg/pg-url.js';
import { startPgServer, type PgServer } from '../../helpers/pg-server.js';
import {
  startReplicaInProcess,
  until,
  type InProcessReplica,
  stopInProcessReplicaSetup,
} from '../../helpers/pg-replicas.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

const FIRST = 'first shared password 1';
const SECOND = 'second shared password 2';
const PINNED = 'pinned by the environment 3';
let server: PgServer;
let upstream: StubDnsServer;
const replicas: InProcessReplica[] = [];

/** The password hash a replica holds in its tracksink.db (read beside it: a login attempt counts toward the lockout). */
function storedHash(replica: InProcessReplica): string | null {
  const db = new Database(join(replica.dir, 'tracksink.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT hash FROM auth_password WHERE id = 1').get() as
      { hash: string } | undefined;
    return row?.hash ?? null;
  } finally {
    db.close();
  }
}

const login = async (replica: InProcessReplica, password: string) =>
  replica.services.app.inject({ method: 'POST', url: '/api/auth/login', payload: { password } });

beforeAll(async () => {
  [server, upstream] = await Promise.all([startPgServer(), startStubDnsServer({ defaultA: '192.0.2.9' })]);
  process.env[DATABASE_URL_ENV] = server.url;
  replicas.push(await startReplicaInProcess({ upstream: upstream.udpUrl, password: '' }));
  replicas.push(await startReplicaInProcess({ upstream: upstream.udpUrl, password: '' }));
  replicas.push(await startReplicaInProcess({ upstream: upstream.udpUrl, password: PINNED }));
}, 180_000);

afterAll(() => stopInProcessReplicaSetup({ replicas, upstream, server }));

describe('the dashboard password shared by the replicas', () => {
  it('set on one, changed on the other: each holds on both within 2 s; TRACKSINK_PASSWORD still wins', async () => {
    const [alpha, beta, pinned] = replicas as [InProcessReplica, InProcessReplica, InProcessReplica];
    const setupCode = readFileSync(join(alpha.dir, 'setup-code.txt'), 'utf8').trim();
    const setup = await alpha.services.app.inject({
      method: 'POST',
      url: '/api/auth/setup',
      payload: { password: FIRST, setupCode },
    });
    expect(setup.statusCode, setup.body).toBe(200);
    const set = Date.now();
    const first = storedHash(alpha);
    expect(first).not.toBeNull();
    await until(() => storedHash(beta) === first, 5000, 'the password on beta');
    expect(Date.now() - set).toBeLessThan(2000);
    expect((await login(beta, FIRST)).statusCode).toBe(200);
    // Beta's first-run setup is closed: a password is set.
    const status = await beta.services.app.inject({ method: 'GET', url: '/api/auth/status' });
    expect(status.json<{ setupNeeded: boolean }>().setupNeeded).toBe(false);

    const session = await login(beta, FIRST);
    const cookie = `tracksink_session=${session.cookies.find((c) => c.name === 'tracksink_session')!.value}`;
    const change = await beta.services.app.inject({
      method: 'POST',
      url: '/api/auth/password',
      payload: { current: FIRST, password: SECOND },
      headers: { cookie, 'x-csrf-token': session.json<{ csrfToken: string }>().csrfToken },
    });
    expect(change.statusCode, change.body).toBe(200);
    const changed = Date.now();
    const second = storedHash(beta);
    expect(second).not.toBe(first);
    await until(() => storedHash(alpha) === second, 5000, 'the new password on alpha');
    expect(Date.now() - changed).toBeLessThan(2000);
    expect((await login(alpha, SECOND)).statusCode).toBe(200);
    expect((await login(alpha, FIRST)).statusCode).toBe(401);

    // The replica whose password the environment sets keeps it.
    expect((await login(pinned, PINNED)).statusCode).toBe(200);
    expect((await login(pinned, SECOND)).statusCode).toBe(401);
  }, 60_000);
});
