/** The shapes the list matcher takes and gives (matcher.ts builds it; policy-engine and explain read it). */
import type { ParsedList } from './list-types.js';
import type { Rewrite, RewriteSet } from './rewrite.js';
import type { SlowRule } from './slow-rule.js';

export interface ListInput {
  id: number;
  name: string;
  kind: 'block' | 'allow';
  parsed: ParsedList;
  /** Apply only to these devices (with groupIds: to either). Absent or empty both: every device. */
  deviceIds?: number[];
  groupIds?: number[];
  /** The built-in tracker catalog: its blocks are reported with Reason.catalog. */
  catalog?: boolean;
}

/** What a lookup needs to know about the asker. The engine owns one and refills it per query. */
export interface MatchContext {
  deviceId: number;
  qtype: number;
  /** Groups of the device (undefined: none). */
  groups: readonly number[] | undefined;
  /** `$client=` check for a slow rule and the asking device. */
  clientAllows: (rule: SlowRule, deviceId: number) => boolean;
  /** Why `$client=` keeps a rule from the device (explain only). */
  clientWhyNot?: (rule: SlowRule, deviceId: number) => string;
}

/**
 * The winning rule of each precedence class for one lookup, as list index (-1: none) and line.
 * Longer (more specific) suffixes win within a class. Reused by the caller: match() overwrites it.
 */
export interface ListMatch {
  block: number;
  blockLine: number;
  importantBlock: number;
  importantBlockLine: number;
  exception: number;
  exceptionLine: number;
  importantException: number;
  importantExceptionLine: number;
  /** `$dnsrewrite` answer (outranks block and exception rules), with the first rule's list and line. */
  rewrite: RewriteSet | null;
  rewriteList: number;
  rewriteLine: number;
  /** Hosts-line answer for the name (ranks below block and exception rules). */
  hostsRecord: RewriteSet | null;
  hostsRecordList: number;
  hostsRecordLine: number;
}

export function emptyListMatch(): ListMatch {
  return {
    block: -1,
    blockLine: 0,
    importantBlock: -1,
    importantBlockLine: 0,
    exception: -1,
    exceptionLine: 0,
    importantException: -1,
    importantExceptionLine: 0,
    rewrite: null,
    rewriteList: -1,
    rewriteLine: 0,
    hostsRecord: null,
    hostsRecordList: -1,
    hostsRecordLine: 0,
  };
}

/** One matching rule, for explain (allocates; not for the hot path). */
export interface RuleHit {
  listIndex: number;
  listId: number;
  line: number;
  flags: number;
  /** How the rule matched: the domain rule's kind, or 'pattern' for slow rules. */
  match: 'exact' | 'subdomain' | 'pattern';
  /** The suffix of the name the rule is written for ('' for pattern rules). */
  domain: string;
  /** Does the rule apply to this device / qtype? (A rule can match the name but be scoped away.) */
  applies: boolean;
  /** Is the hit an exception (an `@@` rule or an entry of an allow list)? */
  exception: boolean;
  /** The rule answers with records (`$dnsrewrite`, a hosts line with an address), else null. */
  rewrite: SlowRule['rewrite'];
  /** Why it does not apply here, when it does not ('' otherwise). */
  whyNot: string;
}

export interface ListInfo {
  id: number;
  name: string;
  kind: 'block' | 'allow';
  catalog: boolean;
  global: boolean;
  deviceIds: ReadonlySet<number>;
  groupIds: ReadonlySet<number>;
  entries: number;
}

export interface ListMatcher {
  /** Rules in the matcher (compact + slow, after $badfilter). */
  readonly entries: number;
  /** Distinct names in the compact table. */
  readonly uniqueNames: number;
  readonly lists: readonly ListInfo[];
  /**
   * What it was built from (the parsed lists' typed arrays are not copied): a DNS worker thread rebuilds
   * the same matcher from them (dns/workers/policy-feed.ts).
   */
  readonly inputs?: readonly ListInput[];
  /** Its hash table: a worker thread adopts it (on SharedArrayBuffers) instead of building its own. */
  readonly table?: MatcherTable;
  /** Hot path: fills `out` with the best rule of each precedence class. */
  match(name: string, ctx: MatchContext, out: ListMatch): void;
  /** Every rule that matches `name` (explain). */
  collect(name: string, ctx: MatchContext): RuleHit[];
  /** The rules that answer with a record of their own (hosts lines with an address, `$dnsrewrite`). */
  localRecords(): LocalRecordRule[];
}

/**
 * The compact matcher's hash table (matcher.ts): one word per slot (fingerprint and entry + 1). DNS worker
 * threads read the main thread's one build from a copy on a SharedArrayBuffer.
 */
export interface MatcherTable {
  slots: Int32Array;
  /** Compact rules of all the lists it was built from (`$badfilter` targets included): checks a shared table. */
  total: number;
  /** Compact rules inserted (after `$badfilter`) and distinct names among them. */
  inserted: number;
  unique: number;
}

/** A list rule that answers with its own record: what the dashboard lists as a local record. */
export interface LocalRecordRule {
  listId: number;
  line: number;
  /** The name as written: a domain, or the rule's pattern. */
  name: string;
  /** An `@@…$dnsrewrite` exception (lifts rewrites) rather than a rewrite. */
  exception: boolean;
  rewrite: Rewrite;
}
