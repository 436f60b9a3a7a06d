/**
 * Rate limiting: a UDP flood from one client is dropped (no answer, not REFUSED) while another client is
 * still answered. Both clients are on loopback (127.0.0.1 and 127.0.0.2), so the private-client limit
 * is set for this test.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryStatus, Reason } from '../../../server/events/query-event.js';
import { type DnsHarness, eventually, startDnsHarness } from '../../helpers/dns-harness.js';
import { createSimpleUpstreamPool } from '../../helpers/simple-upstream-pool.js';
import { buildQuery } from '../../helpers/upstream/dns-message.js';

const FLOOD = 300;
const LIMIT = 20;
let h: DnsHarness;
const pool = createSimpleUpstreamPool('127.0.0.1', 9, 200);
const sockets: dgram.Socket[] = [];

async function clientSocket(address: string): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  sockets.push(s);
  await new Promise<void>((resolve) => s.bind(0, address, () => resolve()));
  return s;
}

beforeAll(async () => {
  h = await startDnsHarness({
    upstreams: pool,
    blocked: ['blocked.test'],
    config: (c) => (c.rateLimit.privatePerSecond = LIMIT),
  });
});
afterAll(async () => {
  for (const s of sockets) s.close();
  await h?.close();
  await pool.close();
});

describe('rate limit', () => {
  it('drops a flood from one client while another client is still answered', async () => {
    const flooder = await clientSocket('127.0.0.1');
    let flooderAnswers = 0;
    flooder.on('message', () => flooderAnswers++);
    const query = buildQuery('blocked.test', 1, { id: 1 });
    for (let i = 0; i < FLOOD; i++) {
      flooder.send(query, h.port, '127.0.0.1');
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    // Meanwhile, another client gets its answer.
    const other = await clientSocket('127.0.0.2');
    const answered = new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 2000);
      other.once('message', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
    other.send(buildQuery('blocked.test', 1, { id: 2 }), h.port, '127.0.0.1');
    expect(await answered).toBe(true);

    await eventually(() => h.events.filter((e) => e.clientAddress === '127.0.0.1').length >= FLOOD);
    const fromFlooder = h.events.filter((e) => e.clientAddress === '127.0.0.1');
    const dropped = fromFlooder.filter((e) => e.status === QueryStatus.dropped);
    expect(fromFlooder).toHaveLength(FLOOD);
    expect(dropped.length).toBeGreaterThan(FLOOD / 2);
    expect(dropped.every((e) => e.reason === Reason.rateLimited && e.rcode === -1)).toBe(true);
    await eventually(() => flooderAnswers >= FLOOD - dropped.length);
    expect(flooderAnswers).toBe(FLOOD - dropped.length);
  });
});
