/**
 * The compact list matcher: every list's domain rules in one open-addressing hash table, built once at
 * load. A slot holds only an entry number (4 bytes); the 64-bit keys, lines and flags stay in each
 * ParsedList's typed arrays (not copied), entries with the same key are chained through `next`. A
 * lookup hashes the query name from the right and probes once per label boundary (one probe per
 * suffix), so it costs O(labels) and allocates nothing. The few slow rules (regex, wildcard,
 * modifiers) are then checked one by one.
 *
 * Rebuilding is "build beside, then swap": buildMatcher returns a new immutable matcher and the
 * PolicyEngine replaces its single reference to it. A DNS worker thread (dns/workers/) gets the table
 * (copied once onto SharedArrayBuffers, shared by every worker) and passes it back to buildMatcher with the
 * same inputs, which then skips the build.
 */
import { HASH1_SEED, HASH2_SEED } from './domain-hash.js';
import type {
  ListInfo,
  ListInput,
  ListMatch,
  ListMatcher,
  LocalRecordRule,
  MatchContext,
  MatcherTable,
  RuleHit,
} from './matcher-types.js';
import { FLAG_BITS, RuleFlag } from './rule-flags.js';
import type { NameMatcher } from './name-pattern.js';
import { RewriteIndex } from './rewrite-index.js';
import type { RewriteEntry } from './rewrite-index.js';
import type { SlowRule } from './slow-rule.js';
import { compilePattern, denyAllowExempts, dnsTypeAllows, slowPatternMatches } from './slow-rule.js';

export type {
  ListInfo,
  ListInput,
  ListMatch,
  ListMatcher,
  LocalRecordRule,
  MatchContext,
  MatcherTable,
  RuleHit,
} from './matcher-types.js';
export { emptyListMatch } from './matcher-types.js';

// Local copies: imported bindings can be getters under dev loaders (tsx, vitest): too slow per probe.
const SEED1 = HASH1_SEED;
const SEED2 = HASH2_SEED;
const SHIFT = FLAG_BITS;
const SUBDOMAIN = RuleFlag.subdomain;
const EXCEPTION = RuleFlag.exception;
const IMPORTANT = RuleFlag.important;
const FLAGS = (1 << FLAG_BITS) - 1;
/** Table size: a power of two at most this full, so probe chains stay short. */
const MAX_LOAD = 0.6;

/** `table`: the table a matcher built from the same `lists` made (another thread's), adopted as it is. */
export function buildMatcher(lists: ListInput[], table?: MatcherTable): ListMatcher {
  return new CompactMatcher(lists, table);
}

class CompactMatcher implements ListMatcher {
  readonly entries: number;
  readonly uniqueNames: number;
  readonly lists: ListInfo[];
  readonly inputs: readonly ListInput[];
  readonly table: MatcherTable;
  private readonly slots: Int32Array;
  private readonly mask: number;
  /** Per global entry: next entry with the same key (-1 ends the chain). */
  private readonly next: Int32Array;
  /** Per global entry: index of its list. */
  private readonly owner: Uint16Array;
  private readonly base: number[];
  private readonly hi: Uint32Array[];
  private readonly lo: Uint32Array[];
  private readonly meta: Uint32Array[];
  private readonly slowRules: SlowRule[];
  private readonly slowOwner: number[];
  private readonly slowCompiled: (NameMatcher | null)[];
  private readonly rewrites: RewriteIndex;
  /** The context of the lookup in progress, for the rewrite index's callback (set per lookup). */
  private ctx: MatchContext | null = null;

  constructor(inputs: ListInput[], shared?: MatcherTable) {
    if (inputs.length > 0xffff)
      throw new RangeError(`buildMatcher: too many lists (${inputs.length}, max 65535)`);
    this.inputs = inputs;
    this.lists = inputs.map(toListInfo);
    this.hi = inputs.map((l) => l.parsed.hashHi);
    this.lo = inputs.map((l) => l.parsed.hashLo);
    this.meta = inputs.map((l) => l.parsed.meta);
    this.base = [];
    let total = 0;
    for (const l of inputs) {
      this.base.push(total);
      total += l.parsed.domainCount;
    }
    let capacity = 16;
    while (capacity * MAX_LOAD < total) capacity *= 2;
    if (shared !== undefined && (shared.slots.length !== capacity || shared.next.length !== total))
      throw new RangeError('buildMatcher: the shared table was built from other lists');
    this.slots = shared?.slots ?? new Int32Array(capacity);
    this.mask = capacity - 1;
    this.next = shared?.next ?? new Int32Array(total);
    this.owner = shared?.owner ?? new Uint16Array(total);

    const disabledSlow = new Set(inputs.flatMap((l) => l.parsed.badFilterKeys));
    let inserted = shared?.inserted ?? 0;
    let unique = shared?.unique ?? 0;
    const disabled = shared === undefined ? compactBadFilterKeys(inputs) : null;
    for (let li = 0; shared === undefined && li < inputs.length; li++) {
      const { hashHi, hashLo, meta, domainCount } = inputs[li]!.parsed;
      const base = this.base[li]!;
      for (let i = 0; i < domainCount; i++) {
        const h1 = hashHi[i]!;
        const h2 = hashLo[i]!;
        if (disabled !== null && disabled.has(`${h1}:${h2}:${meta[i]! & FLAGS}`)) continue;
        const g = base + i;
        this.owner[g] = li;
        if (this.insert(g, h1, h2)) unique++;
        inserted++;
      }
    }
    this.slowRules = [];
    this.slowOwner = [];
    this.slowCompiled = [];
    const rewriteEntries: RewriteEntry[] = [];
    for (let li = 0; li < inputs.length; li++) {
      for (const rule of inputs[li]!.parsed.slowRules) {
        if (disabledSlow.has(rule.key)) continue;
        let compiled: NameMatcher | null;
        try {
          compiled = compilePattern(rule);
        } catch {
          continue; // checked when the list was parsed: only a hand-made ParsedList gets here
        }
        if (rule.rewrite !== null) {
          rewriteEntries.push({ rule, listIndex: li, compiled });
          continue;
        }
        this.slowRules.push(rule);
        this.slowOwner.push(li);
        this.slowCompiled.push(compiled);
      }
    }
    this.rewrites = new RewriteIndex(rewriteEntries);
    this.entries = inserted + this.slowRules.length + this.rewrites.size;
    this.uniqueNames = unique;
    this.table = { slots: this.slots, next: this.next, owner: this.owner, inserted, unique };
  }

  /** Inserts global entry g; returns true when its key was new. */
  private insert(g: number, h1: number, h2: number): boolean {
    const mask = this.mask;
    let i = bucket(h1, h2) & mask;
    while (true) {
      const head = this.slots[i]! - 1;
      if (head < 0) {
        this.slots[i] = g + 1;
        this.next[g] = -1;
        return true;
      }
      if (this.keyEquals(head, h1, h2)) {
        this.next[g] = head;
        this.slots[i] = g + 1;
        return false;
      }
      i = (i + 1) & mask;
    }
  }

  private keyEquals(g: number, h1: number, h2: number): boolean {
    const li = this.owner[g]!;
    const local = g - this.base[li]!;
    return this.hi[li]![local] === h1 && this.lo[li]![local] === h2;
  }

  /** Head entry of the chain for a key, or -1. */
  private find(h1: number, h2: number): number {
    const mask = this.mask;
    let i = bucket(h1, h2) & mask;
    while (true) {
      const head = this.slots[i]! - 1;
      if (head < 0) return -1;
      if (this.keyEquals(head, h1, h2)) return head;
      i = (i + 1) & mask;
    }
  }

  private applies(li: number, ctx: MatchContext): boolean {
    const list = this.lists[li]!;
    if (list.global) return true;
    if (list.deviceIds.has(ctx.deviceId)) return true;
    const groups = ctx.groups;
    if (groups !== undefined)
      for (let i = 0; i < groups.length; i++) if (list.groupIds.has(groups[i]!)) return true;
    return false;
  }

  match(name: string, ctx: MatchContext, out: ListMatch): void {
    out.block = -1;
    out.importantBlock = -1;
    out.exception = -1;
    out.importantException = -1;
    let h1 = SEED1;
    let h2 = SEED2;
    for (let i = name.length - 1; i >= 0; i--) {
      let c = name.charCodeAt(i);
      if (c >= 65 && c <= 90) c |= 0x20;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
      if (i !== 0 && name.charCodeAt(i - 1) !== 46) continue;
      // text[i..] is a whole suffix: exact rules count only for the full name.
      const full = i === 0;
      for (let g = this.find(h1 >>> 0, h2 >>> 0); g >= 0; g = this.next[g]!) {
        const li = this.owner[g]!;
        const meta = this.meta[li]![g - this.base[li]!]!;
        if (!full && (meta & SUBDOMAIN) === 0) continue;
        if (!this.applies(li, ctx)) continue;
        this.record(out, li, meta >>> SHIFT, meta);
      }
    }
    const slow = this.slowRules;
    for (let k = 0; k < slow.length; k++) {
      const rule = slow[k]!;
      const li = this.slowOwner[k]!;
      if (!this.slowApplies(rule, li, this.slowCompiled[k]!, name, ctx)) continue;
      // Slow rules never displace a domain rule of the same class: those are more specific.
      const exception = (rule.flags & EXCEPTION) !== 0 || this.lists[li]!.kind === 'allow';
      const important = (rule.flags & IMPORTANT) !== 0;
      if (
        exception
          ? (important ? out.importantException : out.exception) >= 0
          : (important ? out.importantBlock : out.block) >= 0
      ) {
        continue;
      }
      this.record(out, li, rule.line, rule.flags);
    }
    if (this.rewrites.size > 0) {
      this.ctx = ctx;
      this.rewrites.match(name, this.rewriteApplies, out);
      this.ctx = null;
    } else {
      out.rewrite = null;
      out.hostsRecord = null;
    }
  }

  localRecords(): LocalRecordRule[] {
    return this.rewrites.all().flatMap(({ rule, listIndex }) =>
      rule.rewrite === null
        ? []
        : [
            {
              listId: this.lists[listIndex]!.id,
              line: rule.line,
              name: rule.domain || rule.source,
              exception: (rule.flags & EXCEPTION) !== 0,
              rewrite: rule.rewrite,
            },
          ],
    );
  }

  private readonly rewriteApplies = (entry: RewriteEntry, name: string): boolean =>
    this.slowApplies(entry.rule, entry.listIndex, entry.compiled, name, this.ctx!);

  private slowApplies(
    rule: SlowRule,
    li: number,
    compiled: NameMatcher | null,
    name: string,
    ctx: MatchContext,
  ): boolean {
    return (
      this.applies(li, ctx) &&
      dnsTypeAllows(rule, ctx.qtype) &&
      (rule.clients === null || ctx.clientAllows(rule, ctx.deviceId)) &&
      slowPatternMatches(rule, compiled, name) &&
      !denyAllowExempts(rule, name)
    );
  }

  /** Why a slow rule whose pattern matches does not apply to this question ('' when it does). */
  private whyNot(rule: SlowRule, li: number, name: string, ctx: MatchContext): string {
    if (!this.applies(li, ctx)) return 'the list is not used for this device';
    if (!dnsTypeAllows(rule, ctx.qtype)) return `$dnstype: not for this record type (${ctx.qtype})`;
    if (rule.clients !== null && !ctx.clientAllows(rule, ctx.deviceId)) {
      return ctx.clientWhyNot?.(rule, ctx.deviceId) || 'the rule is for other devices ($client)';
    }
    if (denyAllowExempts(rule, name)) return '$denyallow exempts this name';
    return '';
  }

  private record(out: ListMatch, li: number, line: number, flags: number): void {
    const exception = (flags & EXCEPTION) !== 0 || this.lists[li]!.kind === 'allow';
    if ((flags & IMPORTANT) !== 0) {
      if (exception) {
        out.importantException = li;
        out.importantExceptionLine = line;
      } else {
        out.importantBlock = li;
        out.importantBlockLine = line;
      }
    } else if (exception) {
      out.exception = li;
      out.exceptionLine = line;
    } else {
      out.block = li;
      out.blockLine = line;
    }
  }

  collect(name: string, ctx: MatchContext): RuleHit[] {
    const hits: RuleHit[] = [];
    let h1 = SEED1;
    let h2 = SEED2;
    for (let i = name.length - 1; i >= 0; i--) {
      let c = name.charCodeAt(i);
      if (c >= 65 && c <= 90) c |= 0x20;
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
      if (i !== 0 && name.charCodeAt(i - 1) !== 46) continue;
      const full = i === 0;
      for (let g = this.find(h1 >>> 0, h2 >>> 0); g >= 0; g = this.next[g]!) {
        const li = this.owner[g]!;
        const meta = this.meta[li]![g - this.base[li]!]!;
        if (!full && (meta & SUBDOMAIN) === 0) continue;
        hits.push({
          listIndex: li,
          listId: this.lists[li]!.id,
          line: meta >>> SHIFT,
          flags: meta & FLAGS,
          match: (meta & SUBDOMAIN) !== 0 ? 'subdomain' : 'exact',
          domain: name.slice(i),
          applies: this.applies(li, ctx),
          exception: (meta & EXCEPTION) !== 0 || this.lists[li]!.kind === 'allow',
          rewrite: null,
          whyNot: this.applies(li, ctx) ? '' : 'the list is not used for this device',
        });
      }
    }
    const slow: RewriteEntry[] = this.slowRules.map((rule, k) => ({
      rule,
      listIndex: this.slowOwner[k]!,
      compiled: this.slowCompiled[k]!,
    }));
    for (const { rule, listIndex: li, compiled } of [...slow, ...this.rewrites.candidates(name)]) {
      if (!slowPatternMatches(rule, compiled, name)) continue;
      const whyNot = this.whyNot(rule, li, name, ctx);
      hits.push({
        listIndex: li,
        listId: this.lists[li]!.id,
        line: rule.line,
        flags: rule.flags,
        match: rule.pattern === 'exact' || rule.pattern === 'subdomain' ? rule.pattern : 'pattern',
        domain: rule.domain,
        applies: whyNot === '',
        exception: (rule.flags & EXCEPTION) !== 0 || this.lists[li]!.kind === 'allow',
        rewrite: rule.rewrite,
        whyNot,
      });
    }
    return hits;
  }
}

function toListInfo(input: ListInput): ListInfo {
  const deviceIds = new Set(input.deviceIds ?? []);
  const groupIds = new Set(input.groupIds ?? []);
  return {
    id: input.id,
    name: input.name,
    kind: input.kind,
    catalog: input.catalog === true,
    global: deviceIds.size === 0 && groupIds.size === 0,
    deviceIds,
    groupIds,
    entries: input.parsed.entries,
  };
}

/** `$badfilter` targets among compact rules, across all lists (null when there are none). */
function compactBadFilterKeys(inputs: ListInput[]): Set<string> | null {
  let keys: Set<string> | null = null;
  for (const l of inputs) {
    for (const bf of l.parsed.badFilters) (keys ??= new Set()).add(`${bf.hi}:${bf.lo}:${bf.flags}`);
  }
  return keys;
}

/** Murmur3 finaliser over both lanes (inlined copy of domain-hash bucketOf, for the same reason). */
function bucket(h1: number, h2: number): number {
  let h = h1 ^ Math.imul(h2, 0x85ebca6b);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
