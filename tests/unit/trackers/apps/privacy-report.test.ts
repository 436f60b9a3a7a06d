/** The App Privacy Report parser: reads Apple's NDJSON, and refuses a damaged file with the line number. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrivacyReportError, parsePrivacyReport } from '../../../../server/trackers/apps/privacy-report.js';

const fixture = readFileSync(
  join(import.meta.dirname, '..', '..', '..', 'fixtures', 'privacy-report', 'app-privacy-report.ndjson'),
  'utf8',
);

function errorOf(text: string): PrivacyReportError {
  try {
    parsePrivacyReport(text);
  } catch (error) {
    expect(error).toBeInstanceOf(PrivacyReportError);
    return error as PrivacyReportError;
  }
  throw new Error('the report was accepted');
}

describe('parsePrivacyReport', () => {
  it('reads network activity and data access from the fixture, skipping unknown types', () => {
    const report = parsePrivacyReport(fixture);
    expect(report.network).toHaveLength(12);
    expect(report.access).toHaveLength(4);
    expect(report.skipped).toBe(1);
    const api = report.network.find((r) => r.domain === 'api22-normal-c-useast1a.tiktokv.com');
    expect(api).toMatchObject({
      bundleId: 'com.zhiliaoapp.musically',
      hits: 48,
      initiatedType: 'AppInitiated',
      line: 3,
      time: Date.parse('2026-11-28T18:01:58.307Z'),
    });
    const tag = report.network.find((r) => r.domain === 'ct.pinterest.com');
    expect(tag).toMatchObject({ bundleId: 'com.apple.mobilesafari', context: 'www.pinterest.com' });
    expect(report.access[0]).toMatchObject({
      bundleId: 'com.zhiliaoapp.musically',
      category: 'camera',
      kind: 'intervalBegin',
    });
    expect(report.firstTime).toBe(Date.parse('2026-11-28T18:01:58.307Z'));
    expect(report.lastTime).toBe(Date.parse('2026-11-30T11:00:05.777Z'));
  });

  it('accepts CRLF line ends and blank lines', () => {
    const report = parsePrivacyReport(`\r\n${fixture.split('\n').join('\r\n')}\r\n\r\n`);
    expect(report.network).toHaveLength(12);
  });

  it.each([
    [
      'a line that is not JSON',
      (lines: string[]) => lines.splice(4, 0, '{"domain": "x.example",'),
      5,
      /not JSON/,
    ],
    ['a JSON array', (lines: string[]) => lines.splice(1, 0, '[1,2]'), 2, /one JSON object/],
    [
      'a missing type',
      (lines: string[]) => lines.splice(2, 0, '{"domain":"a.example"}'),
      3,
      /'type' is missing/,
    ],
    [
      'a bad date',
      (lines: string[]) =>
        (lines[2] = (lines[2] as string).replace(
          '"timeStamp":"2026-11-28T19:01:58.307+01:00"',
          '"timeStamp":"yesterday"',
        )),
      3,
      /'timeStamp' is not a date/,
    ],
    [
      'negative hits',
      (lines: string[]) => (lines[3] = (lines[3] as string).replace('"hits":31', '"hits":-2')),
      4,
      /'hits' must be a whole number/,
    ],
    [
      'markup as a domain',
      (lines: string[]) => (lines[4] = (lines[4] as string).replace('graph.facebook.com', '<img src=x>')),
      5,
      /'domain' is not a host name/,
    ],
    [
      'an access without accessor',
      (lines: string[]) => (lines[0] = (lines[0] as string).replace(/"accessor":\{[^}]*\},/, '')),
      1,
      /'accessor' must be an object/,
    ],
  ])('refuses %s with its line number', (_what, damage, line, message) => {
    const lines = fixture.split('\n');
    damage(lines);
    const error = errorOf(lines.join('\n'));
    expect(error.line).toBe(line);
    expect(error.message).toMatch(new RegExp(`^line ${line}: `));
    expect(error.message).toMatch(message);
  });

  it('refuses a file with no report records (another JSON file, an empty file)', () => {
    expect(errorOf('').message).toMatch(/no App Privacy Report records/);
    expect(errorOf('{"type":"somethingElse"}\n').message).toMatch(/no App Privacy Report records/);
  });
});
