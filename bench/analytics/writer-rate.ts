/**
 * Query log writer throughput: records events at a fixed rate for a fixed time through the real
 * QueryLog (shared ring + writer thread + querylog.db in a temp dir) and reports written and dropped.
 * 20 devices, 5,000 names with Zipf-like popularity, one name in three attributed to a company.
 *
 *   npx tsx bench/analytics/writer-rate.ts [--rate 100000] [--seconds 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { emptyQueryEvent, QueryStatus } from '../../server/events/query-event.js';
import { silentLogger } from '../../server/logger.js';
import { QueryLog } from '../../server/store/query-log.js';

const { values } = parseArgs({
  options: { rate: { type: 'string', default: '100000' }, seconds: { type: 'string', default: '10' } },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const dir = mkdtempSync(join(tmpdir(), 'tracksink-writer-rate-'));
const names = Array.from({ length: 5000 }, (_, i) => `host${i}.example${i % 50}.com`);
try {
  const log = await QueryLog.open({
    dataDir: dir,
    retentionDays: 30,
    rollupRetentionDays: 365,
    queries: 'all',
    anonymizeClients: false,
    logger: silentLogger,
  });
  const ev = emptyQueryEvent();
  const started = Date.now();
  let sent = 0;
  let x = 1;
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (sent < due) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      const name = Math.min(names.length - 1, Math.floor(names.length ** ((x % 10000) / 10000)) - 1);
      ev.timeMs = Date.now();
      ev.deviceId = 1 + (x % 20);
      ev.clientAddress = `192.168.1.${10 + ev.deviceId}`;
      ev.name = names[name] as string;
      ev.companyId = name % 3 === 0 ? 1 + (name % 100) : 0;
      ev.categoryId = ev.companyId === 0 ? 0 : 1 + (ev.companyId % 12);
      ev.status = ev.companyId !== 0 ? QueryStatus.blocked : QueryStatus.forwarded;
      log.record(ev);
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const elapsed = (Date.now() - started) / 1000;
  await log.flush();
  const stats = log.stats();
  await log.close();
  console.log(
    `offered ${sent.toLocaleString('en-US')} events in ${elapsed.toFixed(1)} s (${Math.round(sent / elapsed).toLocaleString('en-US')}/s): ` +
      `written ${stats.written.toLocaleString('en-US')}, dropped ${stats.dropped.toLocaleString('en-US')}, error ${stats.error ?? 'none'}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
