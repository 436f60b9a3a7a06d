/**
 * A real PostgreSQL server for tests, started from the test itself: `initdb` into a temporary directory
 * and `pg_ctl start` on a free port of 127.0.0.1 (and a private unix socket directory), with a password
 * (scram-sha-256) so connection errors are real. PostgreSQL refuses to run as root, so when the tests
 * run as root the server runs as the `postgres` system user (Debian's package creates it), or `nobody`,
 * through `runuser`; the data directory belongs to that user. `stop()` then `start()` again keeps the
 * data (the "PostgreSQL down for a while" tests); `destroy()` stops it and removes everything.
 *
 * Needs Debian's `postgresql` package (scripts/install-test-deps.sh installs it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export interface PgServer {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** postgres://user:password@127.0.0.1:port/database */
  url: string;
  /** A URL for another database on the same server (created by createDatabase). */
  urlFor(database: string): string;
  createDatabase(name: string): void;
  /** Runs SQL as the superuser through psql; returns its stdout (unaligned, tuples only). */
  psql(sql: string, database?: string): string;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** Where Debian puts the server programs (one folder per major version); newest first. */
export function findPgBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((name) => /^\d+$/.test(name) && existsSync(join(base, name, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0] !== undefined) return join(base, versions[0], 'bin');
  }
  const which = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found !== '' ? join(found, '..') : null;
}

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The account the server runs as: ourselves, or (as root) `postgres`, else `nobody`. */
function serverAccount(): { name: string; uid: number; gid: number } | null {
  if (userInfo().uid !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) {
      return { name, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
    }
  }
  throw new Error('tests run as root and neither a "postgres" nor a "nobody" user exists to run PostgreSQL');
}

export async function startPgServer(options: { password?: string } = {}): Promise<PgServer> {
  const bin = findPgBin();
  if (bin === null) {
    throw new Error(
      'PostgreSQL server programs not found: install Debian\'s "postgresql" (npm run test:deps)',
    );
  }
  const account = serverAccount();
  const dir = mkdtempSync(join(tmpdir(), 'tracksink-pg-'));
  const data = join(dir, 'data');
  const sockets = join(dir, 'sock');
  const password = options.password ?? 'test-secret-Pw1';
  const user = 'tracksink';
  const database = 'tracksink';
  const port = await freeTcpPort();
  const run = (program: string, args: string[]): string => {
    const command = account === null ? join(bin, program) : 'runuser';
    const full = account === null ? args : ['-u', account.name, '--', join(bin, program), ...args];
    return execFileSync(command, full, { encoding: 'utf8', cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  };
  mkdirSync(sockets);
  writeFileSync(join(dir, 'pwfile'), `${password}\n`);
  if (account !== null) {
    for (const path of [dir, sockets, join(dir, 'pwfile')]) chownSync(path, account.uid, account.gid);
  }
  chmodSync(dir, 0o700);
  run('initdb', [
    '-D',
    data,
    '-U',
    user,
    `--pwfile=${join(dir, 'pwfile')}`,
    '--auth=scram-sha-256',
    '--no-sync',
    '--encoding=UTF8',
    '--locale=C',
  ]);
  // A test server: no fsync, small shared memory, quick shutdown. Listens on 127.0.0.1 only.
  const serverOptions = [
    `-p ${port}`,
    `-k ${sockets}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c shared_buffers=64MB',
    '-c max_connections=50',
  ].join(' ');
  const logFile = join(dir, 'server.log');
  const start = (): void => {
    run('pg_ctl', ['-D', data, '-o', serverOptions, '-l', logFile, '-w', '-t', '30', 'start']);
  };
  const stop = (): void => {
    run('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']);
  };
  start();
  const psql = (sql: string, db = 'postgres'): string =>
    execFileSync(
      join(bin, 'psql'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(port),
        '-U',
        user,
        '-d',
        db,
        '-Atq',
        '-v',
        'ON_ERROR_STOP=1',
        '-c',
        sql,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, PGPASSWORD: password },
      },
    );
  psql(`CREATE DATABASE ${database}`);
  const urlFor = (name: string): string =>
    `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}`;
  let destroyed = false;
  return {
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    url: urlFor(database),
    urlFor,
    createDatabase: (name) => {
      psql(`CREATE DATABASE ${name}`);
    },
    psql,
    start,
    stop,
    destroy: () => {
      if (destroyed) return;
      destroyed = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
