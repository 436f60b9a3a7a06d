/**
 * Query log ingest rate into PostgreSQL (issue 18): starts a throw-away PostgreSQL server
 * (tests/helpers/pg-server.ts), applies tracksink's schema, and pushes synthetic decoded events through
 * the log shipper (server/store/pg/log-shipper.ts) in the log writer's batch size, timing until every
 * row is committed. `npm run bench:pg-ingest -- [rows]` (default 1,000,000); hold the bench lock
 * (`flock /tmp/team/bench.lock npm run bench:pg-ingest`) and note the load average it prints.
 */
import { loadavg } from 'node:os';
import { startPgServer } from '../tests/helpers/pg-server.js';
import { connectPool } from '../server/store/pg/pg-connect.js';
import { migratePg } from '../server/store/pg/pg-migrate.js';
import { parseDatabaseUrl } from '../server/store/pg/pg-url.js';
import { PgLogShipper } from '../server/store/pg/log-shipper.js';
import type { DecodedEvent } from '../server/store/query-queue.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const BATCH = 20_000;

/** Household-like traffic, as bench/analytics/run.ts: 50 devices, 20,000 names of Zipf-like popularity. */
let seed = 7;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

function event(i: number, now: number): DecodedEvent {
  const name = Math.min(20_000, Math.floor(20_000 ** random()));
  const attributed = name % 3 === 0;
  const device = 1 + Math.floor(random() * 50);
  return {
    timeMs: now + i / 100,
    deviceId: device,
    clientAddress: `192.168.1.${device}`,
    name: `host${name}.example${name % 300}.com`,
    qtype: 1,
    protocol: 0,
    status: name % 5 === 0 ? 1 : 2,
    reason: 0,
    listId: 0,
    ruleId: 0,
    companyId: attributed ? 1 + (name % 200) : 0,
    categoryId: attributed ? name % 7 : 0,
    appId: 0,
    kind: attributed ? 1 : 0,
    rcode: 0,
    durationUs: 1200 + (i % 900),
    upstreamId: 1,
    cnameTarget: '',
  };
}

async function main(): Promise<void> {
  const server = await startPgServer();
  try {
    const target = parseDatabaseUrl(server.url);
    const pool = await connectPool(target, { applicationName: 'bench' });
    await migratePg(pool, target);
    const shipper = new PgLogShipper({
      target,
      replica: 'bench',
      retentionDays: 30,
      anonymizeClients: false,
      // The bench hands over the rows faster than any writer would; the buffer's bound (500,000 by default,
      // what a replica holds while PostgreSQL is away) would drop the rest and the wait below never end.
      maxBuffered: rows,
    });
    shipper.start();
    const now = Date.now() - 3_600_000;
    const events = Array.from({ length: rows }, (_, i) => event(i, now));
    const started = performance.now();
    for (let i = 0; i < rows; i += BATCH) {
      shipper.push(events.slice(i, i + BATCH));
      // The writer thread drains every 50 ms; let the shipper run between batches like it would.
      await new Promise((wake) => setImmediate(wake));
    }
    while (shipper.stats.shipped + shipper.stats.dropped < rows) {
      if (shipper.stats.error) throw new Error(shipper.stats.error);
      await new Promise((wake) => setTimeout(wake, 5));
    }
    const seconds = (performance.now() - started) / 1000;
    const count = await pool.query<{ n: string }>('SELECT count(*) AS n FROM query_log');
    const load = loadavg()
      .map((n) => n.toFixed(2))
      .join(' ');
    console.log(
      `pg ingest: ${rows} rows in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)} rows/s (query_log holds ${count.rows[0]?.n}, ${shipper.stats.dropped} dropped; load average ${load})`,
    );
    await shipper.close();
    await pool.end();
  } finally {
    server.destroy();
  }
}

await main();
