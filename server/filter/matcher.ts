/**
 * The compact list matcher: every list's domain rules in one open-addressing hash table, built once at
 * load. A slot is one 32-bit word: the entry number (+1; 0 is an empty slot) in its low bits and a
 * fingerprint of the key in the bits the entry number leaves free; the 64-bit keys, lines and flags stay
 * in each ParsedList's typed arrays (not copied). Entries with the same key (one name in several lists)
 * each take a slot of their own, found one after another along the same probe run, and the list an
 * entry belongs to is found from the entry number (a binary search over the lists' first entries): so
 * a name costs the table ~6 bytes (4 / MAX_LOAD) beside its 12 in the ParsedList, where a slot table
 * plus a chain and an owner per entry cost ~14 (bench/GAP.md, "million pass"). The fingerprint also
 * spares a probe the read of the key from a list's arrays (a cache miss) for all but about one slot in
 * 2^(32 − entry bits). A lookup hashes the query name from the right and probes once per label
 * boundary (one probe per suffix), so it costs O(labels) and allocates nothing. The few slow rules
 * (regex, wildcard, modifiers) are then checked one by one.
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
/**
 * The table is at most this full (linear probing: a miss reads ~4.6 slots in a row, one or two cache
 * lines, and the fingerprints keep it from reading keys).
 */
const MAX_LOAD = 0.65;
/** Keeps the table under 2^27 slots, where home()'s arithmetic is exact. */
const MAX_RULES = 80_000_000;
/** Slots for `total` entries: depends on the inputs alone, so a worker's shared table can be checked. */
const capacityFor = (total: number): number => Math.max(16, Math.ceil(total / MAX_LOAD));

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
  /** Per slot: fingerprint << indexBits | (global entry + 1); 0 = empty. */
  private readonly slots: Int32Array;
  private readonly capacity: number;
  /** Bits of a slot that hold the entry number; the rest hold the fingerprint. */
  private readonly indexBits: number;
  private readonly indexMask: number;
  /** Per list: its first global entry number (ascending; an empty list shares the next one's). */
  private readonly base: Int32Array;
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
    this.base = new Int32Array(inputs.length);
    let total = 0;
    for (let li = 0; li < inputs.length; li++) {
      this.base[li] = total;
      total += inputs[li]!.parsed.domainCount;
    }
    if (total > MAX_RULES) throw new RangeError(`buildMatcher: too many rules (${total}, max ${MAX_RULES})`);
    const capacity = capacityFor(total);
    if (shared !== undefined && (shared.slots.length !== capacity || shared.total !== total))
      throw new RangeError('buildMatcher: the shared table was built from other lists');
    this.capacity = capacity;
    this.indexBits = 32 - Math.clz32(total + 1);
    this.indexMask = 2 ** this.indexBits - 1;
    this.slots = shared?.slots ?? new Int32Array(capacity);

    const disabledSlow = new Set(inputs.flatMap((l) => l.parsed.badFilterKeys));
    let inserted = shared?.inserted ?? 0;
    let unique = shared?.unique ?? 0;
    const disabled = shared === undefined ? compactBadFilterKeys(inputs) : null;
    // Inserted last entry first: a probe run then meets a key's entries from the last list's to the
    // first's, and match() records each in turn, so the first list's entry wins a tie (as a chain did).
    for (let li = inputs.length - 1; shared === undefined && li >= 0; li--) {
      const { hashHi, hashLo, meta, domainCount } = inputs[li]!.parsed;
      const base = this.base[li]!;
      for (let i = domainCount - 1; i >= 0; i--) {
        const h1 = hashHi[i]!;
        const h2 = hashLo[i]!;
        if (disabled !== null && disabled.has(`${h1}:${h2}:${meta[i]! & FLAGS}`)) continue;
        if (this.insert(base + i, h1, h2)) unique++;
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
    this.table = { slots: this.slots, total, inserted, unique };
  }

  /** Inserts global entry g at the end of its key's probe run; returns true when its key was new. */
  private insert(g: number, h1: number, h2: number): boolean {
    const mixed = bucket(h1, h2);
    const fp = fingerprint(mixed, this.indexBits);
    let fresh = true;
    let pos = home(mixed, this.capacity);
    for (let s = this.slots[pos]!; s !== 0; s = this.slots[pos]!) {
      if (fresh && s >>> this.indexBits === fp && this.keyAt((s & this.indexMask) - 1, h1, h2) >= 0) {
        fresh = false;
      }
      if (++pos === this.capacity) pos = 0;
    }
    this.slots[pos] = (fp << this.indexBits) | (g + 1);
    return fresh;
  }

  /** The list of global entry g when its key is (h1, h2), else -1. */
  private keyAt(g: number, h1: number, h2: number): number {
    const li = this.listOf(g);
    const local = g - this.base[li]!;
    return this.hi[li]![local] === h1 && this.lo[li]![local] === h2 ? li : -1;
  }

  /** The list global entry g belongs to: the last list whose first entry is at most g. */
  private listOf(g: number): number {
    const base = this.base;
    let low = 0;
    let high = base.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (base[mid]! <= g) low = mid;
      else high = mid - 1;
    }
    return low;
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
    const slots = this.slots;
    const capacity = this.capacity;
    const bits = this.indexBits;
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
      const k1 = h1 >>> 0;
      const k2 = h2 >>> 0;
      const mixed = bucket(k1, k2);
      const fp = fingerprint(mixed, bits);
      for (let pos = home(mixed, capacity), s = slots[pos]!; s !== 0; s = slots[pos]!) {
        if (++pos === capacity) pos = 0;
        if (s >>> bits !== fp) continue;
        const g = (s & this.indexMask) - 1;
        const li = this.keyAt(g, k1, k2);
        if (li < 0) continue;
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
      const k1 = h1 >>> 0;
      const k2 = h2 >>> 0;
      const mixed = bucket(k1, k2);
      const fp = fingerprint(mixed, this.indexBits);
      for (let pos = home(mixed, this.capacity), s = this.slots[pos]!; s !== 0; s = this.slots[pos]!) {
        if (++pos === this.capacity) pos = 0;
        if (s >>> this.indexBits !== fp) continue;
        const g = (s & this.indexMask) - 1;
        const li = this.keyAt(g, k1, k2);
        if (li < 0) continue;
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

/**
 * A key's first slot: its mixed hash scaled to the table (multiply-shift, so any table size works; exact
 * in doubles: 26 bits × a capacity under 2^27 stays below 2^53).
 */
function home(mixed: number, capacity: number): number {
  return Math.floor(((mixed >>> 6) * capacity) / 67108864);
}

/** The slot's fingerprint of a key: the top 32 − indexBits bits of a second mix of it. */
function fingerprint(mixed: number, indexBits: number): number {
  return Math.imul(mixed, 0x9e3779b1) >>> indexBits;
}
