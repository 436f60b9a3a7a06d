/**
 * `database.url` in the config file, the alternative to TRACKSINK_DATABASE_URL (issue 18): real tracksink
 * processes. A good URL in the file starts the replica on PostgreSQL; the environment variable wins over
 * the file; and every mistake (not a URL, a wrong scheme, no database, an unreachable server, a wrong
 * password) stops the start with a message naming where the URL came from and the host, while the
 * password appears nowhere in what tracksink printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgServer, type PgServer } from '../helpers/pg-server.js';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';

const SECRET = 'Sekr3t-pw-4711';
let server: PgServer;
const processes: TracksinkProcess[] = [];

beforeAll(async () => {
  server = await startPgServer();
}, 120_000);

afterAll(async () => {
  for (const proc of processes) {
    await proc.stop('SIGKILL');
    proc.cleanup();
  }
  server?.destroy();
});

/** Starts tracksink expecting it to refuse; returns everything it printed. */
async function refusedStart(yamlUrl: string, env: Record<string, string> = {}): Promise<string> {
  const error = await startTracksink({
    configYaml: `database:\n  url: ${JSON.stringify(yamlUrl)}\n`,
    env,
    timeoutMs: 30_000,
  }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toMatch(/did not start \(exit 1\)/);
  return message;
}

describe('database.url in the config file', () => {
  it('starts a replica on the PostgreSQL the file names', async () => {
    const proc = await startTracksink({
      configYaml: `database:\n  url: ${JSON.stringify(server.url)}\n`,
      env: { TRACKSINK_REPLICA: 'from-file', TRACKSINK_LOG_LEVEL: 'info' },
      timeoutMs: 60_000,
    });
    processes.push(proc);
    const health = (await (await fetch(`${proc.baseUrl}/api/health`)).json()) as {
      replica: { name: string; database: string; reachable: boolean };
    };
    expect(health.replica).toMatchObject({
      name: 'from-file',
      database: `tracksink@127.0.0.1:${server.port}/tracksink`,
      reachable: true,
    });
    expect(server.psql("SELECT name FROM replicas WHERE name = 'from-file'", 'tracksink').trim()).toBe(
      'from-file',
    );
    expect(proc.output()).not.toContain(server.password);
  }, 90_000);

  it('TRACKSINK_DATABASE_URL wins over the file', async () => {
    const output = await refusedStart(server.url, {
      TRACKSINK_DATABASE_URL: `postgres://ts:${SECRET}@127.0.0.1:1/tracksink`,
    });
    expect(output).toMatch(/could not connect to PostgreSQL at ts@127\.0\.0\.1:1\/tracksink/);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(server.password);
  }, 60_000);

  it('every mistake names the key and the host, never the password', async () => {
    const cases: Array<[string, RegExp]> = [
      [`postgres//ts:${SECRET}@db.lan/tracksink`, /database\.url is not a URL/],
      [
        `mysql://ts:${SECRET}@db.lan:3306/tracksink`,
        /database\.url for host db\.lan must start with postgres:\/\//,
      ],
      [`postgres://ts:${SECRET}@db.lan:5432/`, /database\.url for host db\.lan names no database/],
      [
        `postgres://ts:${SECRET}@127.0.0.1:1/tracksink`,
        /could not connect to PostgreSQL at ts@127\.0\.0\.1:1\/tracksink/,
      ],
      [
        `postgres://tracksink:${SECRET}@127.0.0.1:${server.port}/tracksink`,
        /could not connect to PostgreSQL at tracksink@127\.0\.0\.1:\d+\/tracksink: the server refused the login/,
      ],
    ];
    for (const [url, expected] of cases) {
      const output = await refusedStart(url);
      expect(output, url).toMatch(expected);
      expect(output, url).not.toContain(SECRET);
      expect(output, url).not.toContain(encodeURIComponent(SECRET));
    }
  }, 120_000);
});
