/** ClientIDs: one host-name label, taken from a DoT server name or typed by a person (devices/client-ids.ts). */
import { describe, expect, it } from 'vitest';
import {
  ClientIdError,
  clientIdFromServerName,
  isClientId,
  parseClientId,
  suggestClientId,
} from '../../../server/devices/client-ids.js';

describe('ClientIDs', () => {
  it('takes the label before the configured domain, and only one label', () => {
    expect(clientIdFromServerName('kid-tablet.dns.example.org', 'dns.example.org')).toBe('kid-tablet');
    expect(clientIdFromServerName('KID-Tablet.DNS.example.org.', 'dns.example.org')).toBe('kid-tablet');
    expect(clientIdFromServerName('dns.example.org', 'dns.example.org')).toBeNull();
    expect(clientIdFromServerName('a.b.dns.example.org', 'dns.example.org')).toBeNull();
    expect(clientIdFromServerName('kid-tablet.other.example', 'dns.example.org')).toBeNull();
    expect(clientIdFromServerName('xdns.example.org', 'dns.example.org')).toBeNull();
  });

  it('without a domain, the first label of a name of three labels or more', () => {
    expect(clientIdFromServerName('kid-tablet.example.test', '')).toBe('kid-tablet');
    expect(clientIdFromServerName('example.test', '')).toBeNull();
    expect(clientIdFromServerName('localhost', '')).toBeNull();
    expect(clientIdFromServerName(undefined, '')).toBeNull();
    expect(clientIdFromServerName(false, '')).toBeNull();
    expect(clientIdFromServerName('bad_label.example.test', '')).toBeNull();
  });

  it('accepts host-name labels only, saying what is wrong otherwise', () => {
    expect(parseClientId(' Mums-Phone ')).toBe('mums-phone');
    expect(parseClientId('a')).toBe('a');
    expect(parseClientId('x'.repeat(63))).toBe('x'.repeat(63));
    const cases: Array<[unknown, RegExp]> = [
      ['', /cannot be empty/],
      ['x'.repeat(64), /64 characters long \(at most 63\)/],
      ['kid.tablet', /has a dot: it must be one label/],
      ['-kid', /cannot begin or end with a hyphen/],
      ['kid-', /cannot begin or end with a hyphen/],
      ['kid_tablet', /may only hold letters a–z, digits and hyphens/],
      ['Mäx', /may only hold letters/],
      [42, /must be text/],
    ];
    for (const [input, message] of cases) {
      expect(() => parseClientId(input), String(input)).toThrow(ClientIdError);
      expect(() => parseClientId(input), String(input)).toThrow(message);
    }
    expect(isClientId('kid-tablet')).toBe(true);
    expect(isClientId('Kid-Tablet')).toBe(false);
  });

  it('suggests one from a device name', () => {
    expect(suggestClientId("Kid's Tablet")).toBe('kids-tablet');
    expect(suggestClientId('Mäx’s  iPhone (2)')).toBe('maxs-iphone-2');
    expect(suggestClientId('客厅')).toBeNull();
    // Cut to 63 characters, never ending in a hyphen.
    expect(suggestClientId('Ab '.repeat(30))).toBe('ab-'.repeat(20) + 'ab');
  });
});
