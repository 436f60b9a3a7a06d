import { describe, expect, it } from 'vitest';
import {
  answerAddresses,
  cnameTargets,
  readMessage,
  readName,
  soaNegativeTtl,
} from '../../../server/dns-codec/message-reader.js';
import { buildQuery, buildResponse, rdata } from '../../helpers/upstream/dns-message.js';

describe('message reader', () => {
  it('reads records, CNAME targets, addresses and the SOA negative TTL', () => {
    const query = buildQuery('shop.example', 1);
    const msg = buildResponse(query, {
      answers: [
        { name: 'shop.example', type: 5, ttl: 300, data: rdata.name('Shop.Tracker.Test') },
        { name: 'shop.tracker.test', type: 1, ttl: 60, data: rdata.a('192.168.1.5') },
        { name: 'shop.tracker.test', type: 28, ttl: 60, data: rdata.aaaa('fd00::1') },
      ],
    });
    const info = readMessage(msg)!;
    expect(info.records).toHaveLength(3);
    expect(cnameTargets(msg, info)).toEqual(['shop.tracker.test']);
    expect(answerAddresses(msg, info)).toEqual(['192.168.1.5', 'fd00:0:0:0:0:0:0:1']);
    const nx = buildResponse(query, {
      rcode: 3,
      authority: [{ name: 'example', type: 6, ttl: 900, data: rdata.soa('ns.example', 'host.example', 120) }],
    });
    expect(soaNegativeTtl(nx, readMessage(nx)!)).toBe(120);
  });

  it('returns null for truncated messages and pointer loops', () => {
    const msg = buildResponse(buildQuery('a.test', 1), {
      answers: [{ name: 'a.test', type: 1, ttl: 60, data: rdata.a('192.0.2.1') }],
    });
    expect(readMessage(msg.subarray(0, msg.length - 1))).toBeNull();
    expect(readName(Buffer.from([0xc0, 0x00]), 0)).toBeNull();
    expect(readName(Buffer.from([1, 0x61, 0xc0, 0x00]), 0)).toBeNull(); // points back into itself
    expect(readName(Buffer.from([1, 0x61, 0, 1, 0x62, 0xc0, 0x00]), 3)).toBe('b.a');
  });
});
