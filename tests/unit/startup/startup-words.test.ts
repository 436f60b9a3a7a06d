/**
 * The words of the first run: which addresses the banner and Setup help name, how a failed list is put,
 * and how a log line reads in a terminal.
 */
import { describe, expect, it } from 'vitest';
import type { networkInterfaces } from 'node:os';
import { lanAddresses, urlFor } from '../../../server/api/lan-addresses.js';
import { coopApplies } from '../../../server/api/http/security-headers.js';
import { listProblems } from '../../../server/api/list-problems.js';
import type { ListView } from '../../../server/lists/list-manager.js';
import { STEVENBLACK_UNIFIED } from '../../../server/lists/list-source.js';
import { chooseLogFormat, formatLogLine } from '../../../server/log-format.js';

type Interfaces = ReturnType<typeof networkInterfaces>;
const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({
  address,
  family,
  internal,
  netmask: family === 'IPv4' ? '255.255.255.0' : 'ffff:ffff:ffff:ffff::',
  mac: '02:00:00:00:00:01',
  cidr: null,
  ...(family === 'IPv6' ? { scopeid: 0 } : {}),
});
const interfaces = {
  lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
  docker0: [nic('172.17.0.1', 'IPv4')],
  eth0: [
    nic('203.0.113.7', 'IPv4'),
    nic('192.168.1.2', 'IPv4'),
    nic('fe80::1', 'IPv6'),
    nic('fd00::2', 'IPv6'),
  ],
  wlan0: [nic('169.254.3.4', 'IPv4')],
} as unknown as Interfaces;

describe('LAN addresses', () => {
  it('names every LAN IPv4 address for 0.0.0.0, private ranges first, never loopback or link-local', () => {
    expect(lanAddresses('0.0.0.0', interfaces)).toEqual(['172.17.0.1', '192.168.1.2', '203.0.113.7']);
  });
  it('adds routable IPv6 for ::, without link-local fe80::', () => {
    expect(lanAddresses('::', interfaces)).toEqual(['172.17.0.1', '192.168.1.2', '203.0.113.7', 'fd00::2']);
  });
  it('names the one address a server is bound to', () => {
    expect(lanAddresses('192.168.1.2', interfaces)).toEqual(['192.168.1.2']);
  });
  it('writes IPv6 URLs with brackets', () => {
    expect(urlFor('fd00::2', 8080)).toBe('http://[fd00::2]:8080/');
    expect(urlFor('192.168.1.2', 8080)).toBe('http://192.168.1.2:8080/');
  });
});

const list = (over: Partial<ListView>): ListView =>
  ({
    id: 1,
    name: 'a list',
    source: 'https://lists.example/hosts',
    format: 'hosts',
    kind: 'block',
    enabled: true,
    builtin: false,
    etag: null,
    lastModified: null,
    lastRefresh: null,
    lastSuccess: null,
    entries: 0,
    invalidLines: 0,
    lastError: null,
    createdAt: 0,
    assignment: { all: true },
    loaded: false,
    ...over,
  }) as ListView;

describe('list problems', () => {
  const builtin = list({
    id: 1,
    name: 'tracksink tracker catalog',
    source: 'builtin:catalog',
    builtin: true,
    loaded: true,
  });
  const main = list({
    id: 2,
    name: 'StevenBlack unified hosts',
    source: STEVENBLACK_UNIFIED,
    lastError: 'could not resolve raw.githubusercontent.com: ENOTFOUND; no copy to fall back on',
  });

  it('says in words that the main blocklist failed and what blocks meanwhile', () => {
    const [problem, ...rest] = listProblems([builtin, main]);
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ listId: 2, list: 'StevenBlack unified hosts', main: true });
    expect(problem!.reason).toContain('ENOTFOUND');
    expect(problem!.message).toBe(
      'your main blocklist could not be downloaded: could not resolve raw.githubusercontent.com: ENOTFOUND; ' +
        'blocking with the built-in list only',
    );
  });

  it('names another list, says the other lists block meanwhile, and ignores lists with a copy or disabled', () => {
    const other = list({ id: 3, name: 'My list', lastError: 'HTTP 404' });
    const stale = list({ id: 4, lastError: 'HTTP 500', loaded: true });
    const off = list({ id: 5, lastError: 'HTTP 500', enabled: false });
    const good = list({ id: 6, loaded: true });
    const problems = listProblems([builtin, other, stale, off, good]);
    expect(problems.map((p) => p.message)).toEqual([
      'the blocklist "My list" could not be downloaded: HTTP 404; blocking with your other lists meanwhile',
    ]);
  });

  it('finds nothing while a list is still downloading (no error yet)', () => {
    expect(listProblems([builtin, list({ id: 2, source: STEVENBLACK_UNIFIED })])).toEqual([]);
  });
});

describe('log lines in a terminal', () => {
  it('is text on a terminal, JSON otherwise, unless TRACKSINK_LOG_FORMAT says', () => {
    expect(chooseLogFormat({}, true)).toBe('text');
    expect(chooseLogFormat({}, false)).toBe('json');
    expect(chooseLogFormat({ TRACKSINK_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(chooseLogFormat({ TRACKSINK_LOG_FORMAT: 'TEXT' }, false)).toBe('text');
  });

  it('reads as time, level, message and the details', () => {
    const time = new Date(2026, 11, 2, 12, 4, 5).getTime();
    const line = formatLogLine(
      JSON.stringify({
        level: 40,
        time,
        app: 'tracksink',
        list: 'StevenBlack',
        msg: 'list refresh failed',
        tries: 2,
      }),
    );
    expect(line).toBe('12:04:05 warn  list refresh failed (list=StevenBlack, tries=2)');
    expect(formatLogLine('not json\n')).toBe('not json');
  });
});

describe('Cross-Origin-Opener-Policy only where browsers apply it', () => {
  it('is sent over HTTPS and to loopback names, not over plain HTTP on a LAN address', () => {
    expect(coopApplies('https', '192.168.1.2')).toBe(true);
    expect(coopApplies('http', 'localhost')).toBe(true);
    expect(coopApplies('http', '127.0.0.1')).toBe(true);
    expect(coopApplies('http', '[::1]')).toBe(true);
    expect(coopApplies('http', '192.168.1.2')).toBe(false);
    expect(coopApplies('http', 'tracksink.lan')).toBe(false);
  });
});
