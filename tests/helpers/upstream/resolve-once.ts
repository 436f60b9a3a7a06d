/**
 * Child-process probe: `node --import tsx resolve-once.ts <upstream-url> <name> [bootstrap]` resolves one
 * A query through a fresh upstream pool WITHOUT the `ca` option (so Node's own trust store, plus
 * NODE_EXTRA_CA_CERTS, decides) and prints the answer's addresses as JSON, or the error and exit 1.
 */
import { silentLogger } from '../../../server/logger.js';
import { createUpstreamPool } from '../../../server/dns/upstream/pool.js';
import { QTYPE, buildQuery, parseResponse } from './dns-message.js';

const [url = '', name = 'probe.example.test', bootstrap] = process.argv.slice(2);
const pool = createUpstreamPool({
  urls: [url],
  strategy: 'parallel',
  timeoutMs: 5000,
  bootstrap: bootstrap ? [bootstrap] : [],
  logger: silentLogger,
});
try {
  const { packet } = await pool.resolve(buildQuery(name, QTYPE.A), name, QTYPE.A, false);
  console.log(JSON.stringify(parseResponse(packet).answers.map((a) => a.text)));
} catch (error) {
  const causes = (error as { causes?: Error[] }).causes ?? [];
  console.log(JSON.stringify({ error: String(error), causes: causes.map(String) }));
  process.exitCode = 1;
} finally {
  await pool.close();
}
