/**
 * Child process for the kill -9 test: records numbered events as fast as the log takes them and prints
 * `committed N` after each flush (everything below N is on disk), until it is killed.
 */
import { emptyQueryEvent } from '../../../server/events/query-event.js';
import { silentLogger } from '../../../server/logger.js';
import { QueryLog } from '../../../server/store/query-log.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: log-writer-child.ts DATA_DIR');
const log = await QueryLog.open({
  dataDir,
  retentionDays: 30,
  rollupRetentionDays: 365,
  queries: 'all',
  anonymizeClients: false,
  logger: silentLogger,
});
const ev = emptyQueryEvent();
let seq = 0;
for (;;) {
  for (let i = 0; i < 2000; i++) {
    ev.timeMs = Date.now();
    ev.deviceId = 1 + (seq % 5);
    ev.clientAddress = '192.168.9.9';
    ev.name = `seq${seq % 1000}.example`;
    ev.ruleId = seq; // the sequence number, to find gaps
    log.record(ev);
    seq++;
  }
  await log.flush();
  process.stdout.write(`committed ${seq}\n`);
  await new Promise((resolve) => setTimeout(resolve, 10));
}
