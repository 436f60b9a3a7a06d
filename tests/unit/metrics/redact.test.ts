import { describe, expect, it } from 'vitest';
import { redactUpstreamUrl, upstreamLabelValues } from '../../../server/metrics/redact.js';

describe('upstream labels on /metrics', () => {
  it.each([
    ['https://dns.nextdns.io/abc123', 'https://dns.nextdns.io/…'],
    ['https://dns.nextdns.io/abc123/Kitchen%20TV', 'https://dns.nextdns.io/…'],
    ['https://dns.example/dns-query?profile=secret', 'https://dns.example/dns-query?…'],
    ['https://user:pass@dns.example:8443/dns-query', 'https://dns.example:8443/dns-query'],
    ['https://cloudflare-dns.com/dns-query', 'https://cloudflare-dns.com/dns-query'],
    ['tls://abc123.dns.nextdns.io', 'tls://….dns.nextdns.io'],
    ['tls://0a1b2c3d4e.dns.controld.com:853', 'tls://….dns.controld.com:853'],
    ['tls://dns.quad9.net', 'tls://dns.quad9.net'],
    ['tls://one.one.one.one', 'tls://one.one.one.one'],
    ['udp://192.168.1.1:53', 'udp://192.168.1.1:53'],
    ['tcp://[2001:db8::1]:53', 'tcp://[2001:db8::1]:53'],
    ['9.9.9.9', '9.9.9.9'],
    ['9.9.9.9:53/extra', '9.9.9.9:53'],
  ])('shows %s as %s', (url, label) => {
    expect(redactUpstreamUrl(url)).toBe(label);
  });

  it('numbers upstreams that redact to the same label, so each keeps its own series', () => {
    expect(
      upstreamLabelValues([
        'https://dns.nextdns.io/aaa111',
        'https://dns.nextdns.io/bbb222',
        'udp://1.1.1.1:53',
        'https://dns.nextdns.io/ccc333',
      ]),
    ).toEqual([
      'https://dns.nextdns.io/…',
      'https://dns.nextdns.io/… #2',
      'udp://1.1.1.1:53',
      'https://dns.nextdns.io/… #3',
    ]);
  });
});
