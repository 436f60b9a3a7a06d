/**
 * The built tracksink as a real process (issue 14, items 4 and 10), started over a data directory that an
 * older version's import left with rules that do not load, and with a list whose server never answers:
 * it starts, says which rules it skipped, and answers DNS long before a list download could time out.
 * Needs `npm run build` (dist/), like the other process tests.
 */
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConfigDb } from '../../../server/store/sqlite.js';
import { dig } from '../../helpers/dns-clients.js';
import { startTracksink, type TracksinkProcess } from '../../helpers/tracksink-process.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

describe('a real tracksink process starts whatever its lists and stored rules', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tracksink-start-process-'));
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  let upstream: StubDnsServer;
  let tracksink: TracksinkProcess | undefined;

  beforeAll(async () => {
    upstream = await startStubDnsServer({ defaultA: '192.0.2.9' });
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const db = openConfigDb(join(dataDir, 'tracksink.db'));
    const addRule = db.prepare(
      "INSERT INTO rules (id, action, match, pattern, comment, created_at) VALUES (?, 'deny', ?, ?, '', 0)",
    );
    addRule.run(1, 'regex', '(');
    addRule.run(2, 'exact', 'not a domain!');
    addRule.run(3, 'exact', 'denied-by-rule.example');
    db.close();
  });
  afterAll(async () => {
    await tracksink?.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => silent.close(done));
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('skips the rules that do not load and answers DNS while the list server hangs', async () => {
    const { port } = silent.address() as { port: number };
    const started = performance.now();
    tracksink = await startTracksink({
      dataDir,
      configYaml: `lists:\n  defaults: false\n  extra:\n    - "http://127.0.0.1:${port}/never.txt"\n`,
      env: { TRACKSINK_UPSTREAMS: upstream.udpUrl },
      timeoutMs: 60_000,
    });
    const denied = await dig(tracksink.dnsPort, 'denied-by-rule.example');
    const answeredMs = performance.now() - started;
    expect(denied.answers[0]?.data).toBe('0.0.0.0');
    expect((await dig(tracksink.dnsPort, 'www.example.org')).answers[0]?.data).toBe('192.0.2.9');
    // The list download (30 s timeout) is still pending: start-up did not wait for it.
    expect(answeredMs).toBeLessThan(25_000);
    expect(sockets.size).toBe(1);
    const output = tracksink.output();
    expect(output).toMatch(/user rule 1 skipped, it does not load/);
    expect(output).toMatch(/user rule 2 skipped, it does not load/);
    expect(output).not.toMatch(/bad regular expression[^\n]*exit|unhandled/i);
    expect(tracksink.proc.exitCode).toBeNull();
  }, 90_000);
});
