/**
 * Fuzzing every list-format parser and the format detection (issue 8): random syntax soup, mutated
 * valid lines and huge lines never make parseList throw; every rule it emits is a valid lower-case domain
 * written on the line it names; every rejected line is reported with its number and text; valid lines
 * round-trip into exactly the rule they stand for, whatever garbage surrounds them. Crashes found here
 * stay as the named regression tests at the end.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIST_FORMATS, type ListFormat, parseList } from '../../../server/filter/parse.js';
import { FLAG_BITS, FLAG_MASK } from '../../../server/filter/rule-flags.js';
import { checkParsed, hashKey } from './parser-fuzz-oracle.js';
import { hugeLines, mutatedLine, nastyLine, validLine, type ValidLine } from './parser-fuzz-lines.js';

const RUNS = 300;

/**
 * This process's CPU time in ms. The "fast" checks below bound the work a parse does, not the wall time: on a
 * busy machine (CI compiling beside the suite, two test files at once) wall time grows with the load while
 * the CPU a quadratic parse burns does not shrink.
 */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
const FORMATS: Array<ListFormat | 'auto'> = [...LIST_FORMATS, 'auto'];

const lineEnd = fc.constantFrom('\n', '\r\n', '\n', '\n');

/** Joins lines with LF or CRLF, sometimes with a BOM in front and no final newline. */
function joinLines(lines: string[], ends: string[], bom: boolean): string {
  const body = lines.map((line, i) => line + (ends[i % ends.length] ?? '\n')).join('');
  return (bom ? '\ufeff' : '') + (ends.length % 2 === 0 ? body : body.replace(/\r?\n$/, ''));
}

function anyText(format: ListFormat): fc.Arbitrary<string> {
  const line = fc.oneof(
    { weight: 3, arbitrary: nastyLine },
    { weight: 3, arbitrary: mutatedLine(format) },
    { weight: 2, arbitrary: validLine(format).map((v) => v.text) },
  );
  return fc
    .tuple(fc.array(line, { maxLength: 40 }), fc.array(lineEnd, { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([lines, ends, bom]) => joinLines(lines, ends, bom));
}

function parse(text: string, format: ListFormat | 'auto'): ReturnType<typeof parseList> {
  return parseList(text, { listId: 7, format });
}

/** The compact rules as "line key flags" strings, for comparing what a text turned into. */
function ruleSet(parsed: ReturnType<typeof parseList>): string[] {
  const rules: string[] = [];
  for (let i = 0; i < parsed.domainCount; i++) {
    const meta = parsed.meta[i]!;
    rules.push(`${meta >>> FLAG_BITS} ${parsed.hashHi[i]}:${parsed.hashLo[i]} ${meta & FLAG_MASK}`);
  }
  return rules.sort();
}

function expectedRules(valid: Array<{ line: number; value: ValidLine }>): string[] {
  return valid
    .flatMap(({ line, value }) => value.rules.map((r) => `${line} ${hashKey(r.domain)} ${r.flags}`))
    .sort();
}

describe('list parser fuzzing', () => {
  for (const format of LIST_FORMATS) {
    it(`${format}: never throws, rules are valid domains of their line, rejected lines are reported`, () => {
      fc.assert(
        fc.property(anyText(format), (text) => {
          for (const as of [format, 'auto'] as const) {
            const parsed = parse(text, as);
            const problems = checkParsed(text, parsed.format, parsed, parsed.format !== 'rpz');
            if (problems.length > 0) throw new Error(`as ${as}: ${problems.slice(0, 3).join('\n')}`);
          }
        }),
        { numRuns: RUNS },
      );
    });

    it(`${format}: valid lines round-trip into exactly their rules, among garbage`, () => {
      // RPZ parentheses open multi-line records that swallow what follows: keep them out of its garbage.
      const garbage = format === 'rpz' ? nastyLine.map((l) => l.replace(/[()]/g, '')) : nastyLine;
      const entry = fc.oneof(
        { weight: 2, arbitrary: validLine(format).map((value) => ({ value })) },
        { weight: 1, arbitrary: garbage.map((text) => ({ text })) },
      );
      fc.assert(
        fc.property(fc.array(entry, { minLength: 1, maxLength: 30 }), lineEnd, (entries, end) => {
          const text = entries.map((e) => ('value' in e ? e.value.text : e.text)).join(end) + end;
          const parsed = parse(text, format);
          const valid = entries.flatMap((e, i) => ('value' in e ? [{ line: i + 1, value: e.value }] : []));
          const validLines = new Set(valid.map((v) => v.line));
          // Garbage may add rules of its own (it can be valid by chance), never remove or change ours.
          const ours = ruleSet(parsed).filter((r) => validLines.has(Number(r.split(' ')[0])));
          expect(ours).toEqual(expectedRules(valid));
          for (const report of [...parsed.invalid, ...parsed.ignored]) {
            expect(validLines.has(report.line), `valid line ${report.line} reported: ${report.reason}`).toBe(
              false,
            );
          }
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('auto-detection reads a list of one format as that format would', () => {
    // Lines that only one format writes, so the vote is not a tie between equivalent readings.
    const distinctive: Record<ListFormat, (v: ValidLine) => boolean> = {
      hosts: () => true,
      domains: (v) => !/[|^$@*=:"]/.test(v.text) && !v.text.includes(' '),
      wildcard: (v) => v.text.startsWith('*.'),
      dnsmasq: () => true,
      unbound: () => true,
      rpz: (v) => / CNAME /.test(v.text),
      adblock: (v) => v.text.includes('|'),
    };
    for (const format of LIST_FORMATS) {
      fc.assert(
        fc.property(
          fc.array(validLine(format).filter(distinctive[format]), { minLength: 1, maxLength: 20 }),
          (lines) => {
            const text = lines.map((l) => l.text).join('\n');
            const auto = parse(text, 'auto');
            expect(ruleSet(auto)).toEqual(ruleSet(parse(text, format)));
            expect(auto.invalidCount).toBe(0);
          },
        ),
        { numRuns: 100 },
      );
    }
  });

  it('huge lines are rejected or taken, fast, in every format', () => {
    const text = hugeLines(100_000).join('\n');
    for (const format of FORMATS) {
      const started = cpuMs();
      const parsed = parse(text, format);
      const took = cpuMs() - started;
      expect(checkParsed(text, parsed.format, parsed, parsed.format !== 'rpz')).toEqual([]);
      // A 1.7 MB list parses in a few ms; quadratic work on one line would take seconds (see below).
      expect(took, `${format} took ${took.toFixed(0)} ms of CPU`).toBeLessThan(1500);
    }
  });

  it('a text of nothing but separators, NULs or carriage returns', () => {
    for (const text of [
      '',
      '\n',
      '\r\n\r\n',
      '\ufeff',
      '\u0000',
      '\r',
      '\r'.repeat(1000),
      '\n'.repeat(1000),
    ]) {
      for (const format of FORMATS) {
        const parsed = parse(text, format);
        expect(parsed.domainCount + parsed.slowRules.length).toBe(0);
        expect(checkParsed(text, parsed.format, parsed, true)).toEqual([]);
      }
    }
  });
});

/** Found by the fuzzing above; each was a bug in the parsers, fixed, and must stay fixed. */
describe('list parser regressions', () => {
  it('a huge unicode $denyallow value is refused in milliseconds (punycode was quadratic: 8 s per 100k)', () => {
    const cjk = Array.from({ length: 100_000 }, (_, i) => String.fromCharCode(0x4e00 + (i % 20000))).join('');
    const started = cpuMs();
    const parsed = parse(`||ads.example^$denyallow=${cjk}`, 'adblock');
    expect(cpuMs() - started).toBeLessThan(500);
    expect(parsed.invalid).toEqual([
      expect.objectContaining({ line: 1, reason: expect.stringMatching(/denyallow/) }),
    ]);
  });

  it('a unicode name with %-escapes, tabs or CRs is refused, not percent-decoded or squeezed', () => {
    for (const [format, text] of [
      ['domains', 'ads%2eexämple.com'],
      ['hosts', '0.0.0.0 ads%2eexämple.com'],
      ['wildcard', '*.a\u000bexämple.com'],
      ['unbound', 'local-zone: "a\rexämple.com" always_null'],
      ['rpz', 'a\rexämple.com CNAME .'],
      ['dnsmasq', 'address=/a\texämple.com/'],
      ['adblock', '||ads%2eexämple.com^'],
    ] as const) {
      const parsed = parse(text, format);
      expect(parsed.domainCount + parsed.slowRules.length, `${format}: ${text}`).toBe(0);
      // Reported: as invalid, or for adblock as a URL rule (a '%' is no host-name character).
      expect(parsed.invalidCount + parsed.ignoredCount, `${format}: ${text}`).toBe(1);
    }
    // The same names without the stray characters are fine.
    expect(parse('ads.exämple.com', 'domains').domainCount).toBe(1);
  });

  it('$denyallow values that are not host names make the rule invalid', () => {
    for (const value of ['a"b.example', '`', 'a$b.example', 'x..example', "it's.example", '*.example']) {
      const parsed = parse(`||ads.example^$denyallow=${value}`, 'adblock');
      expect(parsed.slowRules, value).toEqual([]);
      expect(parsed.invalid[0]?.reason, value).toMatch(/\$denyallow: .* is not a domain/);
    }
    const ok = parse('||ads.example^$denyallow=Fine.Example.|bücher.example', 'adblock');
    expect(ok.slowRules[0]?.denyAllow).toEqual(['fine.example', 'xn--bcher-kva.example']);
  });

  it('dnsmasq "address=//" is reported, not silently dropped', () => {
    const parsed = parse('address=//\nlocal=//\naddress=/ok.example/', 'dnsmasq');
    expect(parsed.domainCount).toBe(1);
    expect(parsed.ignored.map((r) => r.line)).toEqual([1, 2]);
  });
});
