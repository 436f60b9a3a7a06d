/**
 * The real process (dist/server/main.js, as `npm start` runs it) on a data directory that does not exist
 * yet: the start-up banner prints the setup code, the directory is created 0700 and the databases 0600,
 * TRACKSINK_HTTP_BIND sets the dashboard's address, and a request for a foreign host name is refused.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracksink, type TracksinkProcess } from '../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../helpers/upstream/stub-dns-server.js';
import { send } from './helpers/http-client.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('first start of the real process', () => {
  const base = mkdtempSync(join(tmpdir(), 'tracksink-first-start-'));
  const dataDir = join(base, 'data');
  let stub: StubDnsServer;
  let tracksink: TracksinkProcess;

  beforeAll(async () => {
    stub = await startStubDnsServer();
    tracksink = await startTracksink({
      dataDir,
      configFile: join(base, 'config.yaml'),
      env: { TRACKSINK_UPSTREAMS: stub.udpUrl, TRACKSINK_HTTP_BIND: '127.0.0.1' },
    });
  }, 60_000);
  afterAll(async () => {
    await tracksink?.stop().catch(() => undefined);
    tracksink?.cleanup();
    await stub?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('prints the setup code in the banner, the same as in setup-code.txt (0600)', () => {
    const printed = /setup code:\s+([A-Z2-9]{4}-[A-Z2-9]{4})/.exec(tracksink.output())?.[1];
    expect(printed).toBeDefined();
    expect(readFileSync(join(dataDir, 'setup-code.txt'), 'utf8').trim()).toBe(printed);
    expect(mode(join(dataDir, 'setup-code.txt'))).toBe(0o600);
  });

  it('listens for the dashboard on TRACKSINK_HTTP_BIND', () => {
    expect(tracksink.output()).toMatch(/dashboard:\s+http:\/\/127\.0\.0\.1:\d+\//);
  });

  it('creates the data directory 0700 and every database file 0600', () => {
    expect(mode(dataDir)).toBe(0o700);
    const databases = readdirSync(dataDir).filter((file) => /\.db(-wal|-shm)?$/.test(file));
    expect(databases).toEqual(expect.arrayContaining(['tracksink.db', 'querylog.db']));
    for (const file of databases) expect(mode(join(dataDir, file)), file).toBe(0o600);
  });

  it('refuses setup from a foreign host name, and accepts the printed code on its address', async () => {
    const code = readFileSync(join(dataDir, 'setup-code.txt'), 'utf8').trim();
    const rebound = await send(tracksink.baseUrl, {
      path: '/api/auth/setup',
      body: { password: 'a good long password', setupCode: code },
      headers: { host: 'rebind.attacker.example' },
    });
    expect(rebound.status).toBe(403);
    const noCode = await send(tracksink.baseUrl, {
      path: '/api/auth/setup',
      body: { password: 'a good long password', setupCode: 'WXYZ-2345' },
    });
    expect(noCode.status).toBe(403);
    const setup = await send(tracksink.baseUrl, {
      path: '/api/auth/setup',
      body: { password: 'a good long password', setupCode: code },
    });
    expect(setup.status).toBe(200);
  });
});
