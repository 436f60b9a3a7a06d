/** The pure parts of list handling: source checks, text checks, and when a new copy is refused. */
import { describe, expect, it } from 'vitest';
import { parseList } from '../../../server/filter/parse.js';
import { refuseReason } from '../../../server/lists/accept-list.js';
import { decodeText, looksLikeHtml } from '../../../server/net/download.js';
import {
  BUILTIN_CATALOG,
  defaultListName,
  normaliseSource,
  sourceKind,
  STEVENBLACK_UNIFIED,
} from '../../../server/lists/list-source.js';

const domains = (n: number): string => Array.from({ length: n }, (_, i) => `d${i}.example.test`).join('\n');

describe('list sources', () => {
  it('normalises URLs and file paths, refuses others with a clear message', () => {
    expect(normaliseSource(' https://lists.example/hosts.txt ')).toBe('https://lists.example/hosts.txt');
    expect(normaliseSource('lists/mine.txt', '/srv/ts')).toBe('/srv/ts/lists/mine.txt');
    expect(normaliseSource(BUILTIN_CATALOG)).toBe(BUILTIN_CATALOG);
    expect(() => normaliseSource('ftp://x.example/l')).toThrow(/only http and https/);
    expect(() => normaliseSource('http://')).toThrow(/not a valid URL/);
    expect(() => normaliseSource('builtin:nope')).toThrow(/unknown built-in list/);
    expect(() => normaliseSource('')).toThrow(/empty/);
    expect(sourceKind('HTTPS://a.example/x')).toBe('url');
    expect(sourceKind('/etc/hosts')).toBe('file');
  });

  it('names lists readably', () => {
    expect(defaultListName(STEVENBLACK_UNIFIED)).toBe('StevenBlack unified hosts');
    expect(defaultListName('https://lists.example/a/b/ads.txt')).toBe('lists.example ads.txt');
    expect(defaultListName('/srv/lists/mine.txt')).toBe('mine.txt');
  });
});

describe('text checks', () => {
  it('accepts UTF-8 text with a BOM and refuses binary, invalid UTF-8 and HTML', () => {
    expect(decodeText(Buffer.from('\uFEFFa.example\n'))).toContain('a.example');
    expect(() => decodeText(Buffer.from([0x1f, 0x8b, 0x00]))).toThrow(/binary/);
    expect(() => decodeText(Buffer.from([0x61, 0xff, 0xfe, 0x62]))).toThrow(/not valid UTF-8/);
    expect(() => decodeText(Buffer.from('  <!DOCTYPE html><html></html>'))).toThrow(/HTML page/);
    expect(looksLikeHtml('<html lang="en">')).toBe(true);
    expect(looksLikeHtml('# <html> in a comment\n0.0.0.0 a.example')).toBe(false);
  });
});

describe('accepting a new copy', () => {
  const parse = (text: string) => parseList(text, { listId: 1, format: 'domains' });

  it('refuses empty and entry-less copies', () => {
    expect(refuseReason('', parse(''), null)).toMatch(/empty/);
    expect(refuseReason('# only comments\n', parse('# only comments\n'), null)).toMatch(/no usable entry/);
  });

  it('refuses a shrink below half of a sizeable last good copy, not of a small one', () => {
    expect(refuseReason(domains(90), parse(domains(90)), 200)).toMatch(
      /suspicious shrink: 90 entries against 200/,
    );
    expect(refuseReason(domains(100), parse(domains(100)), 200)).toBeNull();
    expect(refuseReason(domains(2), parse(domains(2)), 50)).toBeNull();
    expect(refuseReason(domains(10), parse(domains(10)), null)).toBeNull();
  });
});

describe('explain arguments', () => {
  it('parses name, device and type, and refuses bad input clearly', async () => {
    const { parseExplainArgs } = await import('../../../server/cli/explain.js');
    expect(parseExplainArgs(['a.example', '--device', '7', '--type', 'aaaa'])).toEqual({
      name: 'a.example',
      deviceId: 7,
      qtype: 28,
      json: false,
    });
    expect(() => parseExplainArgs([])).toThrow(/give a name/);
    expect(() => parseExplainArgs(['a', '--device', 'phone'])).toThrow(/--device must be a device id/);
    expect(() => parseExplainArgs(['a', '--type', 'BOGUS'])).toThrow(/--type must be one of/);
    expect(() => parseExplainArgs(['a', 'b'])).toThrow(/one name at a time/);
    expect(() => parseExplainArgs(['a', '--verbose'])).toThrow(/unknown option --verbose/);
  });
});

describe('HTML sniffing', () => {
  it('judges the body, not the content type alone', () => {
    expect(looksLikeHtml('0.0.0.0 a.example\n', true)).toBe(false);
    expect(looksLikeHtml('<div>x</div>', true)).toBe(true);
    expect(looksLikeHtml('\n  <head><title>Login</title></head>')).toBe(true);
    expect(() => decodeText(Buffer.from('<p>hi</p>'), true)).toThrow(/served as text\/html/);
  });
});
