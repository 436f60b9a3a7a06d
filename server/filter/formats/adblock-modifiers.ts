/**
 * The `$modifier` part of an adblock/AdGuard DNS rule. Only the modifiers meaningful for DNS are
 * understood: important, badfilter, dnstype, client, denyallow, dnsrewrite. Per the AdGuard syntax a
 * rule with any other modifier is ignored as a whole (it targets a feature this engine does not have).
 */
import { parseClientSpec } from '../client-match.js';
import { toAsciiHostName } from '../host-name.js';
import { parseRewrite } from '../rewrite.js';
import type { Rewrite } from '../rewrite.js';
import type { ClientSpec } from '../slow-rule.js';
import { DNS_TYPE_CODES } from './dns-types.js';

export interface ParsedModifiers {
  important: boolean;
  badfilter: boolean;
  dnsTypes: number[] | null;
  dnsTypesExcluded: number[] | null;
  clients: ClientSpec[] | null;
  denyAllow: string[] | null;
  /** `$dnsrewrite=…`: the answer; null when absent or empty. */
  rewrite: Rewrite | null;
  /** `$dnsrewrite` written (with or without a value): an exception with no value lifts every rewrite. */
  hasRewrite: boolean;
  /**
   * Modifiers without `badfilter`, each value list sorted as a set, the modifiers sorted: `$badfilter`
   * matching compares meanings, so `client=a|b` and `client=b|a` are one rule.
   */
  canonical: string;
}

/** Thrown-free result: either modifiers, or why the rule is invalid / ignored. */
export type ModifierResult =
  { ok: true; modifiers: ParsedModifiers } | { ok: false; ignored: boolean; reason: string };

export function parseModifiers(source: string): ModifierResult {
  const modifiers: ParsedModifiers = {
    important: false,
    badfilter: false,
    dnsTypes: null,
    dnsTypesExcluded: null,
    clients: null,
    denyAllow: null,
    rewrite: null,
    hasRewrite: false,
    canonical: '',
  };
  const kept: string[] = [];
  for (const part of splitUnescaped(source, ',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq === -1 ? '' : part.slice(eq + 1).trim();
    if (name === '') return { ok: false, ignored: false, reason: 'empty modifier' };
    if (name !== 'badfilter') kept.push(canonicalModifier(name, value));
    switch (name) {
      case 'important':
        modifiers.important = true;
        break;
      case 'badfilter':
        modifiers.badfilter = true;
        break;
      case 'dnstype': {
        const result = parseDnsTypes(value);
        if (typeof result === 'string') return { ok: false, ignored: false, reason: result };
        modifiers.dnsTypes = result.include;
        modifiers.dnsTypesExcluded = result.exclude;
        break;
      }
      case 'client': {
        if (value === '') return { ok: false, ignored: false, reason: '$client= needs a value' };
        modifiers.clients = splitUnescaped(value, '|').map(parseClient);
        break;
      }
      case 'dnsrewrite': {
        modifiers.hasRewrite = true;
        if (value === '') break;
        const rewrite = parseRewrite(value.replace(/\\(.)/g, '$1'));
        if (typeof rewrite === 'string') return { ok: false, ignored: false, reason: rewrite };
        modifiers.rewrite = rewrite;
        break;
      }
      case 'denyallow': {
        const domains: string[] = [];
        for (const raw of value.split('|')) {
          const domain = toAsciiHostName(raw.trim());
          if (domain === '') {
            return { ok: false, ignored: false, reason: `$denyallow: "${raw}" is not a domain` };
          }
          domains.push(domain);
        }
        modifiers.denyAllow = domains;
        break;
      }
      default:
        return { ok: false, ignored: true, reason: `unsupported modifier $${name}` };
    }
  }
  modifiers.canonical = kept.sort().join(',');
  return { ok: true, modifiers };
}

function parseDnsTypes(value: string): { include: number[] | null; exclude: number[] | null } | string {
  if (value === '') return '$dnstype= needs a value';
  const include: number[] = [];
  const exclude: number[] = [];
  for (const raw of value.split('|')) {
    const negated = raw.startsWith('~');
    const mnemonic = (negated ? raw.slice(1) : raw).trim().toLowerCase();
    const code =
      DNS_TYPE_CODES[mnemonic] ?? (/^type\d+$/.test(mnemonic) ? Number(mnemonic.slice(4)) : undefined);
    if (code === undefined) return `$dnstype: unknown record type "${raw}"`;
    (negated ? exclude : include).push(code);
  }
  // `~A|AAAA` is AAAA only: the exclusions are checked besides the inclusions (urlfilter does the same).
  return { include: include.length > 0 ? include : null, exclude: exclude.length > 0 ? exclude : null };
}

function parseClient(raw: string): ClientSpec {
  let value = raw.trim();
  const negated = value.startsWith('~');
  if (negated) value = value.slice(1).trim();
  if ((value.startsWith("'") && value.endsWith("'")) || (value.startsWith('"') && value.endsWith('"'))) {
    value = value.slice(1, -1);
  }
  return parseClientSpec(negated, value.replace(/\\(.)/g, '$1'));
}

/** One modifier as `$badfilter` compares it: value lists sorted as sets, addresses in one form. */
function canonicalModifier(name: string, value: string): string {
  if (value === '') return name;
  let values = splitUnescaped(value, '|').map((v) => v.trim());
  if (name === 'client') {
    values = values.map((v) => {
      const spec = parseClient(v);
      return (
        (spec.negated ? '~' : '') +
        (spec.address !== null
          ? `${Buffer.from(spec.address).toString('hex')}/${spec.bits}`
          : spec.value.toLowerCase())
      );
    });
  } else if (name === 'dnstype' || name === 'denyallow') values = values.map((v) => v.toLowerCase());
  else return `${name}=${value}`;
  return `${name}=${[...new Set(values)].sort().join('|')}`;
}

/** Splits on `sep` except where it is escaped with a backslash or inside quotes. */
function splitUnescaped(source: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote = '';
  for (let i = 0; i < source.length; i++) {
    const ch = source[i]!;
    if (ch === '\\' && i + 1 < source.length) {
      current += ch + source[++i]!;
    } else if (quote !== '') {
      if (ch === quote) quote = '';
      current += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}
