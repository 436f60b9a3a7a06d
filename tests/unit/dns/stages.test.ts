import { describe, expect, it } from 'vitest';
import { Reason } from '../../../server/events/query-event.js';
import { ipv6Bytes } from '../../../server/dns-codec/record-encoder.js';
import { Sinkhole } from '../../../server/dns/sinkhole.js';
import { AccessControl } from '../../../server/dns/stages/access.js';
import { addCidr, isLocalAddress, normalizeAddress } from '../../../server/dns/stages/address-ranges.js';
import { LocalRecords, isPrivateReverseName, reverseName } from '../../../server/dns/stages/local-records.js';
import { RateLimiter } from '../../../server/dns/stages/rate-limit.js';
import { BlockList } from 'node:net';

describe('address ranges and access', () => {
  it('treats loopback, RFC 1918, link-local and ULA (and their IPv4-mapped forms) as local', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.31.0.1',
      '192.168.0.9',
      '169.254.1.1',
      '::1',
      'fd12::1',
      'fe80::1',
      '::ffff:192.168.1.1',
    ]) {
      expect(isLocalAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '198.18.0.1', '100.64.0.1', '2001:db8::1', '::ffff:8.8.8.8']) {
      expect(isLocalAddress(a), a).toBe(false);
    }
    expect(normalizeAddress('fe80::1%eth0')).toEqual({ address: 'fe80::1', family: 'ipv6' });
  });

  it('allows local ranges plus allow, minus deny', () => {
    const access = new AccessControl({
      allow: ['198.18.0.0/15', '2001:db8::/32'],
      deny: ['192.168.1.66', '198.18.5.0/24'],
    });
    expect(access.isAllowed('192.168.1.10')).toBe(true);
    expect(access.isAllowed('192.168.1.66')).toBe(false);
    expect(access.isAllowed('198.19.0.1')).toBe(true);
    expect(access.isAllowed('198.18.5.7')).toBe(false);
    expect(access.isAllowed('2001:db8::5')).toBe(true);
    expect(access.isAllowed('203.0.113.1')).toBe(false);
  });

  it('rejects bad CIDRs with an error naming the key and the entry', () => {
    expect(() => addCidr(new BlockList(), '10.0.0.0/33', 'dns.access.allow')).toThrow(
      /dns\.access\.allow: "10\.0\.0\.0\/33" has an invalid prefix/,
    );
    expect(() => new AccessControl({ allow: ['not-an-ip'], deny: [] })).toThrow(
      /dns\.access\.allow: "not-an-ip" is not an IP/,
    );
  });
});

describe('rate limiter', () => {
  it('gives each client one second of tokens, refills over time, and leaves private clients alone when 0', () => {
    const rl = new RateLimiter({ publicPerSecond: 5, privatePerSecond: 0 });
    let allowed = 0;
    for (let i = 0; i < 20; i++) if (rl.allow('203.0.113.1', 1000)) allowed++;
    expect(allowed).toBe(5);
    expect(rl.allow('203.0.113.2', 1000)).toBe(true); // another client has its own bucket
    expect(rl.allow('203.0.113.1', 1200)).toBe(true); // 0.2 s → one token back
    expect(rl.allow('203.0.113.1', 1200)).toBe(false);
    for (let i = 0; i < 1000; i++) expect(rl.allow('192.168.1.2', 1000)).toBe(true);
  });
});

describe('local records', () => {
  const local = new LocalRecords({
    local: { 'NAS.home.': '192.168.1.10, fd00::10', 'printer.lan': '192.168.1.20' },
    canaries: { firefoxDoh: true, icloudPrivateRelay: false },
  });
  const out = { reason: Reason.none as Reason };

  it('answers A, AAAA and PTR of configured names, NODATA for other types', () => {
    expect(local.lookup('nas.home', 1, out)?.ancount).toBe(1);
    expect(out.reason).toBe(Reason.localRecord);
    expect(local.lookup('nas.home', 28, out)?.ancount).toBe(1);
    expect(local.lookup('nas.home', 16, out)?.ancount).toBe(0);
    expect(local.lookup('printer.lan', 28, out)?.ancount).toBe(0);
    expect(local.lookup('10.1.168.192.in-addr.arpa', 12, out)?.ancount).toBe(1);
    expect(local.lookup(reverseName('fd00::10'), 12, out)?.ancount).toBe(1);
  });

  it('answers canaries per config, and private reverse names, with NXDOMAIN', () => {
    expect(local.lookup('use-application-dns.net', 1, out)?.rcode).toBe(3);
    expect(out.reason).toBe(Reason.canary);
    expect(local.lookup('mask.icloud.com', 1, out)).toBeNull();
    expect(local.lookup('9.9.168.192.in-addr.arpa', 12, out)?.rcode).toBe(3);
    expect(out.reason).toBe(Reason.privatePtr);
    expect(local.lookup('8.8.8.8.in-addr.arpa', 12, out)).toBeNull();
  });

  it('knows which reverse names are private', () => {
    for (const n of [
      '1.0.0.10.in-addr.arpa',
      '168.192.in-addr.arpa',
      '5.5.20.172.in-addr.arpa',
      '1.1.254.169.in-addr.arpa',
      '1.0.0.127.in-addr.arpa',
      'd.f.ip6.arpa',
      reverseName('fe80::1'),
      reverseName('::1'),
    ]) {
      expect(isPrivateReverseName(n), n).toBe(true);
    }
    for (const n of [
      '192.in-addr.arpa',
      '1.0.32.172.in-addr.arpa',
      reverseName('2001:db8::1'),
      '8.8.8.8.in-addr.arpa',
    ]) {
      expect(isPrivateReverseName(n), n).toBe(false);
    }
  });

  it('rejects a bad local record value with the key in the message', () => {
    expect(
      () =>
        new LocalRecords({
          local: { 'x.home': 'nope' },
          canaries: { firefoxDoh: false, icloudPrivateRelay: false },
        }),
    ).toThrow(/dns\.local "x\.home": "nope" is not an IPv4 or IPv6 address/);
  });
});

describe('sinkhole and encoders', () => {
  it('parses IPv6 text, including :: and embedded IPv4', () => {
    expect(ipv6Bytes('::').toString('hex')).toBe('0'.repeat(32));
    expect(ipv6Bytes('2001:db8::1').toString('hex')).toBe('20010db8000000000000000000000001');
    expect(ipv6Bytes('::ffff:192.0.2.1').toString('hex')).toBe('00000000000000000000ffffc0000201');
  });

  it('precomputes one answer per family and mode', () => {
    const s = new Sinkhole({ mode: 'custom', ttl: 10, ipv4: ['192.0.2.1', '192.0.2.2'], ipv6: [] });
    expect(s.forType(1).ancount).toBe(2);
    expect(s.forType(28).answer!.subarray(-16).toString('hex')).toBe('0'.repeat(32)); // empty list → ::
    expect(s.forType(65)).toMatchObject({ ancount: 0, nscount: 1 });
    expect(s.forType(1)).toBe(s.forType(1)); // no allocation per call
    expect(() => new Sinkhole({ mode: 'custom', ttl: 10, ipv4: ['fd00::1'], ipv6: [] })).toThrow(
      /dns\.blocking\.ipv4\[0\]: "fd00::1" is not an IPv4 address/,
    );
  });
});
