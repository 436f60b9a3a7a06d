import { describe, expect, it } from 'vitest';
import {
  UpstreamUrlError,
  parseUpstreamUrl,
  upstreamUrlsProblem,
} from '../../../server/dns/upstream/upstream-url.js';

describe('parseUpstreamUrl', () => {
  it.each([
    ['udp://192.0.2.1', { protocol: 'udp', host: '192.0.2.1', port: 53, path: '' }],
    ['udp://192.0.2.1:5353', { protocol: 'udp', host: '192.0.2.1', port: 5353, path: '' }],
    ['tcp://[2001:db8::53]:54', { protocol: 'tcp', host: '2001:db8::53', port: 54, path: '' }],
    ['tls://dns.quad9.net', { protocol: 'tls', host: 'dns.quad9.net', port: 853, path: '' }],
    [
      'https://cloudflare-dns.com/dns-query',
      { protocol: 'https', host: 'cloudflare-dns.com', port: 443, path: '/dns-query' },
    ],
    ['https://doh.test:8443/', { protocol: 'https', host: 'doh.test', port: 8443, path: '/dns-query' }],
    ['https://doh.test/custom?x=1', { protocol: 'https', host: 'doh.test', port: 443, path: '/custom?x=1' }],
    ['192.0.2.9', { protocol: 'udp', host: '192.0.2.9', port: 53, path: '' }],
    ['192.0.2.9:5300', { protocol: 'udp', host: '192.0.2.9', port: 5300, path: '' }],
    ['[::1]:5300', { protocol: 'udp', host: '::1', port: 5300, path: '' }],
    ['  tls://1.1.1.1:853  ', { protocol: 'tls', host: '1.1.1.1', port: 853, path: '' }],
  ])('%s', (url, expected) => {
    expect(parseUpstreamUrl(url)).toMatchObject(expected);
  });

  it.each([
    ['', /is empty/],
    ['ftp://192.0.2.1', /"ftp:\/\/192\.0\.2\.1": unsupported scheme "ftp:"/],
    ['http://doh.test/dns-query', /unsupported scheme "http:"/],
    ['not a url', /"not a url": is not a URL/],
    ['udp://192.0.2.1:0', /bad port/],
    ['192.0.2.1:70000', /bad port "70000"/],
    ['udp://192.0.2.1/path', /takes no path/],
    ['https://user:pw@doh.test/dns-query', /credentials/],
  ])('rejects %j with a message naming it', (url, message) => {
    expect(() => parseUpstreamUrl(url)).toThrow(UpstreamUrlError);
    expect(() => parseUpstreamUrl(url)).toThrow(message);
  });
});

describe('upstreamUrlsProblem (config check)', () => {
  it('accepts the defaults and names the first bad entry', () => {
    expect(
      upstreamUrlsProblem(['https://cloudflare-dns.com/dns-query', 'https://dns.quad9.net/dns-query']),
    ).toBeNull();
    expect(upstreamUrlsProblem([])).toMatch(/at least one/);
    expect(upstreamUrlsProblem(['udp://192.0.2.1', 'gopher://x'])).toMatch(/"gopher:\/\/x"/);
    expect(upstreamUrlsProblem(['udp://dns.example'])).toMatch(/"udp:\/\/dns\.example".*IP address/);
  });
});
