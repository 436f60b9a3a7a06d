/**
 * The rewrite rules of all lists, beside the block/allow matcher: `$dnsrewrite` rules (checked one by
 * one, they are few) and hosts lines with real addresses (a Map by exact name). A lookup writes the
 * RewriteSet to answer with into the ListMatch; sets are built once per distinct combination of rules
 * and reused, so the usual lookup allocates nothing.
 */
import type { ListMatch } from './matcher-types.js';
import type { NameMatcher } from './name-pattern.js';
import { combineRewrites } from './rewrite.js';
import type { Rewrite, RewriteSet } from './rewrite.js';
import { RuleFlag } from './rule-flags.js';
import type { SlowRule } from './slow-rule.js';

export interface RewriteEntry {
  rule: SlowRule;
  listIndex: number;
  compiled: NameMatcher | null;
}

/** Does an entry apply to this question (list scope, `$client`, `$dnstype`, pattern, `$denyallow`)? */
export type EntryApplies = (entry: RewriteEntry, name: string) => boolean;

/** The key an `@@…$dnsrewrite` exception with no value carries: it lifts every rewrite. */
export const ALL_REWRITES_KEY = '0;0;*';

export class RewriteIndex {
  readonly size: number;
  private readonly rules: RewriteEntry[] = [];
  private readonly hosts = new Map<string, RewriteEntry[]>();
  private readonly sets = new Map<string, RewriteSet>();
  // Scratch for one lookup (decide() is synchronous: never shared between two lookups).
  private readonly picked: number[] = [];
  private readonly excepted: string[] = [];

  constructor(entries: RewriteEntry[]) {
    for (const entry of entries) {
      if ((entry.rule.flags & RuleFlag.hostsRecord) !== 0) {
        const list = this.hosts.get(entry.rule.domain);
        if (list === undefined) this.hosts.set(entry.rule.domain, [entry]);
        else list.push(entry);
      } else this.rules.push(entry);
    }
    this.size = entries.length;
  }

  /** Every entry: the `$dnsrewrite` rules, then the hosts lines. */
  all(): RewriteEntry[] {
    return [...this.rules, ...[...this.hosts.values()].flat()];
  }

  /** Fills out.rewrite (`$dnsrewrite`) and out.hostsRecord (hosts lines) for this name. */
  match(name: string, applies: EntryApplies, out: ListMatch): void {
    out.rewrite = null;
    out.hostsRecord = null;
    if (this.rules.length > 0) this.matchRules(name, applies, out);
    if (this.hosts.size > 0) {
      const entries = this.hosts.get(name);
      if (entries !== undefined) this.matchHosts(name, entries, applies, out);
    }
  }

  private matchRules(name: string, applies: EntryApplies, out: ListMatch): void {
    const picked = this.picked;
    const excepted = this.excepted;
    picked.length = 0;
    excepted.length = 0;
    let all = false;
    for (let k = 0; k < this.rules.length; k++) {
      const entry = this.rules[k]!;
      if (!applies(entry, name)) continue;
      const rule = entry.rule;
      if ((rule.flags & RuleFlag.exception) !== 0) {
        if (rule.rewrite!.key === ALL_REWRITES_KEY) all = true;
        else excepted.push(rule.rewrite!.key);
      } else picked.push(k);
    }
    if (all || picked.length === 0) return;
    let key = '';
    let first = -1;
    for (let i = 0; i < picked.length; i++) {
      const k = picked[i]!;
      if (excepted.length > 0 && excepted.includes(this.rules[k]!.rule.rewrite!.key)) continue;
      if (first === -1) first = k;
      key = key === '' ? String(k) : `${key},${k}`;
    }
    if (first === -1) return;
    const winner = this.rules[first]!;
    out.rewrite = this.setFor(key);
    out.rewriteList = winner.listIndex;
    out.rewriteLine = winner.rule.line;
  }

  private matchHosts(name: string, entries: RewriteEntry[], applies: EntryApplies, out: ListMatch): void {
    let key = '';
    let first: RewriteEntry | null = null;
    for (let i = 0; i < entries.length; i++) {
      if (!applies(entries[i]!, name)) continue;
      first ??= entries[i]!;
      key = key === '' ? String(i) : `${key},${i}`;
    }
    if (first === null) return;
    out.hostsRecord = this.setFor(`h:${name}:${key}`, entries);
    out.hostsRecordList = first.listIndex;
    out.hostsRecordLine = first.rule.line;
  }

  /** The combined set for a key (rule indexes, or a host name and entry indexes), built once. */
  private setFor(key: string, hostEntries?: RewriteEntry[]): RewriteSet {
    let set = this.sets.get(key);
    if (set === undefined) {
      const rewrites: Rewrite[] = [];
      if (hostEntries !== undefined) {
        const indexes = key.slice(key.lastIndexOf(':') + 1).split(',');
        for (const i of indexes) rewrites.push(hostEntries[Number(i)]!.rule.rewrite!);
      } else for (const i of key.split(',')) rewrites.push(this.rules[Number(i)]!.rule.rewrite!);
      set = combineRewrites(rewrites);
      this.sets.set(key, set);
    }
    return set;
  }

  /** Every rewrite rule whose pattern matches the name (explain), applicable or not. */
  candidates(name: string): RewriteEntry[] {
    return [...this.rules, ...(this.hosts.get(name) ?? [])];
  }
}
