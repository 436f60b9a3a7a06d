/**
 * fast-check arbitraries for the list-parser fuzz tests: valid domains rendered as a line of each list
 * format (with what the rule must become), and hostile lines (control characters, unicode, `%`, `\r`,
 * NUL, broken addresses, adblock rules with odd modifiers, huge lines) and mutations of valid lines.
 */
import { domainToASCII } from 'node:url';
import fc from 'fast-check';
import type { ListFormat } from '../../../server/filter/parse.js';
import { RuleFlag } from '../../../server/filter/rule-flags.js';

/** A valid line and the compact rules it must produce (key = normalised domain). */
export interface ValidLine {
  text: string;
  rules: Array<{ domain: string; flags: number }>;
}

const lowerAlnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
const mixedAlnum = lowerAlnum + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
// Unicode letters that IDNA maps to a punycode label (never to nothing, never to a dot).
const unicodeLetters = 'äöüéèçñåøœ日本語中文дмитрийß';

/** A label: starts and ends with a letter or digit; inner '-' and '_'; sometimes unicode. */
const label = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...mixedAlnum), minLength: 1, maxLength: 12 }),
    fc.string({ unit: fc.constantFrom(...(mixedAlnum + '-_')), maxLength: 8 }),
    fc.string({ unit: fc.constantFrom(...mixedAlnum), minLength: 1, maxLength: 4 }),
    fc.option(fc.string({ unit: fc.constantFrom(...unicodeLetters), minLength: 1, maxLength: 3 }), {
      freq: 6,
    }),
  )
  .map(([head, middle, tail, unicode]) => (unicode === null ? head + middle + tail : head + unicode + tail));

/** A domain of 2–5 labels as a person or a list would write it (any case, maybe unicode). */
export const writtenDomain = fc
  .array(label, { minLength: 2, maxLength: 5 })
  .map((labels) => labels.join('.'))
  // 'ip6-…' is a hosts header name, skipped on purpose; and the name must fit in 253 characters.
  .filter((d) => !d.toLowerCase().startsWith('ip6-') && keyOf(d).length > 0 && keyOf(d).length <= 253);

/** The form a rule is keyed by: lower case, IDN as punycode ('' when IDNA refuses it). */
export function keyOf(written: string): string {
  const lower = written.toLowerCase();
  return /[\u0080-\uffff]/.test(lower) ? domainToASCII(lower) : lower;
}

const blank = fc.constantFrom(' ', '\t', '  ', ' \t ');
const optionalComment = fc.option(fc.constantFrom(' # why', '\t# tracker', ' #'), { freq: 3 });
// The blocking addresses (any other address is a local record: it answers, it does not block).
const hostsAddress = fc.constantFrom('0.0.0.0', '127.0.0.1', '::', '::1', '::0', '0:0:0:0:0:0:0:0');

const exact = 0;
const sub = RuleFlag.subdomain;

function one(domain: string, flags: number): ValidLine['rules'] {
  return [{ domain: keyOf(domain), flags }];
}

/** A valid line of `format` for a random domain, and the rules it stands for. */
export function validLine(format: ListFormat): fc.Arbitrary<ValidLine> {
  switch (format) {
    case 'hosts':
      return fc
        .tuple(hostsAddress, blank, writtenDomain, fc.boolean(), optionalComment)
        .map(([address, space, d, dot, comment]) => ({
          text: `${address}${space}${d}${dot ? '.' : ''}${comment ?? ''}`,
          rules: one(d, exact),
        }));
    case 'domains':
      return fc.tuple(writtenDomain, fc.boolean(), optionalComment).map(([d, dot, comment]) => ({
        text: `${d}${dot ? '.' : ''}${comment ?? ''}`,
        rules: one(d, exact),
      }));
    case 'wildcard':
      return fc.tuple(writtenDomain, fc.boolean(), optionalComment).map(([d, star, comment]) => ({
        text: `${star ? '*.' : ''}${d}${comment ?? ''}`,
        rules: one(d, star ? sub : exact),
      }));
    case 'dnsmasq':
      return fc
        .tuple(
          fc.constantFrom('address=/', 'local=/', 'server=/', 'Address=/'),
          fc.array(writtenDomain, { minLength: 1, maxLength: 3 }),
          fc.constantFrom('/', '/0.0.0.0', '/::'),
        )
        .map(([directive, domains, tail]) => ({
          text: `${directive}${domains.join('/')}${directive === 'server=/' ? '/' : tail}`,
          rules: domains.flatMap((d) => one(d, sub)),
        }));
    case 'unbound':
      return fc
        .tuple(
          writtenDomain,
          fc.constantFrom('always_null', 'always_nxdomain', 'static', 'refuse', 'redirect', null),
        )
        .map(([d, zone]) =>
          zone === null
            ? { text: `local-data: "${d} A 0.0.0.0"`, rules: one(d, exact) }
            : { text: `local-zone: "${d}" ${zone}`, rules: one(d, sub) },
        );
    case 'rpz':
      return fc
        .tuple(
          writtenDomain,
          fc.boolean(),
          fc.constantFrom(' CNAME .', ' 300 IN CNAME .', ' IN CNAME *.', ' CNAME rpz-drop.', ' A 0.0.0.0'),
          fc.boolean(),
        )
        .map(([d, star, data, passthru]) => ({
          text: `${star ? '*.' : ''}${d}${passthru ? ' CNAME rpz-passthru.' : data}`,
          rules: one(d, (star ? sub : exact) | (passthru ? RuleFlag.exception : 0)),
        }));
    case 'adblock':
      return fc
        .tuple(
          writtenDomain,
          fc.constantFrom(
            ['||', '^', sub],
            ['||', '^|', sub],
            ['|', '^', exact],
            ['|', '|', exact],
            ['', '', exact],
            ['0.0.0.0 ', '', exact],
          ),
          fc.boolean(),
          fc.boolean(),
        )
        .map(([d, [prefix, suffix, shape], exception, important]) => {
          const hosts = prefix === '0.0.0.0 ';
          const at = exception && !hosts;
          const imp = important && !hosts;
          const flags = shape | (at ? RuleFlag.exception : 0) | (imp ? RuleFlag.important : 0);
          return {
            text: `${at ? '@@' : ''}${prefix}${d}${suffix}${imp ? '$important' : ''}`,
            rules: one(d, flags),
          };
        });
  }
}

// Characters and fragments that have broken parsers before: controls, NUL, lone CR, BOM, bidi and
// zero-width marks, lone surrogates, `%` escapes, and every format's syntax characters.
const nastyChars = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\u000b',
  '\u000c',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u00ad',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2028',
  '\u3002',
  '\ufeff',
  '\ufffd',
  '\ud800',
  '\udfff',
  '😀',
  'é',
  'İ',
  'ﬀ',
  '%',
  '%00',
  '%2e',
  '%0a',
  '\\',
  '"',
  "'",
  '`',
  '<',
  '>',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '=',
  ',',
  '~',
  '&',
  ' ',
  '\t',
  '.',
  '..',
  '-',
  '_',
  '*',
  '*.',
  '|',
  '||',
  '^',
  '$',
  '$$',
  '@@',
  '#',
  '##',
  '#@#',
  '!',
  ';',
  ':',
  '::',
  '/',
  'a',
  'Z',
  '0',
  '9',
  'xn--',
  'xn--zz',
  'example',
  '.com',
  'localhost',
];

const nastyFragments = [
  '0.0.0.0 ',
  '127.0.0.1\t',
  '999.999.999.999 ',
  '1.2.3 ',
  '1.2.3.4.5 ',
  '::ffff:1.2.3.4 ',
  'fe80::%',
  '::1%eth0 ',
  'gggg::1 ',
  'address=/',
  'server=/',
  'local=/',
  'local-zone: "',
  'local-data: "',
  'server:',
  '$ORIGIN ',
  ' CNAME ',
  ' IN A ',
  ' SOA ( ',
  'rpz-passthru.',
  '||',
  '@@||',
  '^$',
  '$important',
  '$badfilter',
  '$dnstype=',
  '$dnstype=~A|AAAA',
  '$dnstype=type65535|bogus',
  '$client=',
  '$client=\'~192.168.1.0/24\'|"quoted name"',
  '$client=\\',
  '$denyallow=',
  '$denyallow=a.example|*|',
  '$third-party',
  '$,',
  ',,',
  '$important,badfilter',
  '/^ads[0-9]+\\./',
  '/(unclosed/',
  '/[z-a]/',
  '/(?<n>x)\\k<m>/',
  '##.banner',
  '#@#div',
  '#$#body',
];

const nastyUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nastyChars) },
  { weight: 1, arbitrary: fc.constantFrom(...nastyFragments) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom(...lowerAlnum), minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);

/** A line of random syntax soup (never a newline: lines are what is being tested). */
export const nastyLine = fc
  .array(nastyUnit, { maxLength: 24 })
  .map((parts) => parts.join('').replace(/\n/g, ' '));

/** A valid line with a few random edits: characters replaced, inserted, deleted, or the line cut. */
export function mutatedLine(format: ListFormat): fc.Arbitrary<string> {
  const edit = fc.record({
    kind: fc.constantFrom('replace', 'insert', 'delete', 'cut'),
    at: fc.nat(),
    with: fc.constantFrom(...nastyChars),
  });
  return fc.tuple(validLine(format), fc.array(edit, { minLength: 1, maxLength: 3 })).map(([line, edits]) => {
    let text = line.text;
    for (const e of edits) {
      const at = text.length === 0 ? 0 : e.at % text.length;
      if (e.kind === 'replace') text = text.slice(0, at) + e.with + text.slice(at + 1);
      else if (e.kind === 'insert') text = text.slice(0, at) + e.with + text.slice(at);
      else if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + 1);
      else text = text.slice(0, at);
    }
    return text.replace(/\n/g, ' ');
  });
}

/** A few huge lines: one long label, a long run of syntax, long modifiers, long unicode. */
export function hugeLines(length: number): string[] {
  const cjk = Array.from({ length }, (_, i) => String.fromCharCode(0x4e00 + (i % 20000))).join('');
  return [
    'a'.repeat(length),
    `0.0.0.0 ${'a.'.repeat(length / 2)}com`,
    `||${'x'.repeat(length)}^`,
    `||ads.example^$denyallow=${cjk}`,
    `||ads.example^$client=${'~'.repeat(length)}`,
    `||ads.example^$dnstype=${'A|'.repeat(length / 2)}AAAA`,
    `||${'*'.repeat(length)}^`,
    `/${'(a+)+'.repeat(length / 10)}/`,
    `address=/${'/'.repeat(length)}`,
    `local-zone: "${cjk}" always_null`,
    `${cjk} CNAME .`,
    `*.${cjk}`,
    '|'.repeat(length),
    '$'.repeat(length),
    '#'.repeat(length),
    ('(' + ' ').repeat(length / 2),
    cjk,
  ];
}
