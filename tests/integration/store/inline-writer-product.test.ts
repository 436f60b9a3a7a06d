/**
 * The whole product (services.ts) with the query log's writer in the main isolate (log.writer "main"): real UDP queries through the stub upstream are all in the
 * real querylog.db after a flush, each name once, none dropped, and the dashboard's API reads them.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../server/logger.js';
import { startServices, type Services } from '../../../server/services.js';
import { udpExchange } from '../../helpers/dns-clients.js';
import { loopbackConfig } from '../../helpers/in-process-product.js';
import { startStubDnsServer, type StubDnsServer } from '../../helpers/upstream/stub-dns-server.js';

/** A recursive A question for `name` with id `id`. */
function question(name: string, id: number): Buffer {
  const labels = name
    .split('.')
    .map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

describe.each(['main'] as const)('the product with log.writer "%s"', (setting) => {
  const dir = mkdtempSync(join(tmpdir(), `tracksink-inline-writer-${setting}-`));
  let stub: StubDnsServer;
  let services: Services;

  beforeAll(async () => {
    stub = await startStubDnsServer({ defaultA: '192.0.2.7' });
    const config = loopbackConfig(dir, stub);
    config.log.writer = setting;
    services = await startServices(config, silentLogger);
  }, 60_000);

  afterAll(async () => {
    await services?.stop();
    await stub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes every query answered over UDP into querylog.db, from the main isolate', async () => {
    expect(services.queryLog.writerPlace).toBe('main');
    const port = services.dns.udpAddress.port;
    const total = 300;
    let answered = 0;
    for (let start = 0; start < total; start += 25) {
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, k) =>
          udpExchange(port, question(`n${start + k}.inline.test`, start + k), 3000),
        ),
      );
      answered += answers.filter((answer) => answer !== null && answer.readUInt16BE(6) === 1).length;
    }
    expect(answered).toBe(total);
    await services.queryLog.flush();
    expect(services.queryLog.stats()).toMatchObject({ dropped: 0, queued: 0, error: null });

    const db = new Database(join(dir, 'querylog.db'), { readonly: true });
    try {
      const rows = db
        .prepare(
          `SELECT n.name AS name, count(*) AS times FROM queries q JOIN names n ON n.id = q.name_id
           WHERE n.name LIKE '%.inline.test' GROUP BY n.name`,
        )
        .all() as Array<{ name: string; times: number }>;
      expect(rows).toHaveLength(total);
      expect(rows.every((row) => row.times === 1)).toBe(true);
      const minute = db
        .prepare('SELECT sum(count) FROM totals_minute WHERE device_id = -1')
        .pluck()
        .get() as number;
      expect(minute).toBeGreaterThanOrEqual(total);
    } finally {
      db.close();
    }
  });
});
