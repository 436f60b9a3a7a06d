/**
 * The parsed form of one list: counts and reasons for the UI, the compact domain rules as typed arrays
 * (64-bit name hash + line and flags, 12 bytes a rule), and the few rules that need the slow path.
 * Rule text is never kept: explain reads it back from the list text by line number.
 */
import type { SlowRule } from './slow-rule.js';

/** The list formats the parsers read: the one list that the store, the list manager and the API use. */
export const LIST_FORMATS = ['hosts', 'domains', 'wildcard', 'dnsmasq', 'unbound', 'rpz', 'adblock'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/** What a subscription names: one of the formats, or auto (detected from the text). */
export const LIST_FORMAT_SETTINGS = ['auto', ...LIST_FORMATS] as const;
export type ListFormatSetting = (typeof LIST_FORMAT_SETTINGS)[number];

export interface InvalidLine {
  /** 1-based line number. */
  line: number;
  /** The line as written (trimmed), or the one field of it at fault (a bad name among several); at most 200 characters. */
  text: string;
  reason: string;
}

/** `$badfilter` target that is a compact domain rule: disables entries with this key and flags. */
export interface CompactBadFilter {
  hi: number;
  lo: number;
  flags: number;
}

export interface ParsedList {
  listId: number;
  format: ListFormat;
  /** Rules that take effect (compact + slow), duplicates included. */
  entries: number;
  invalidCount: number;
  /** The first 100 invalid lines. */
  invalid: InvalidLine[];
  /** Lines understood but deliberately not used: unknown modifiers, cosmetic rules, non-blocking directives. */
  ignoredCount: number;
  /** The first 100 ignored lines. */
  ignored: InvalidLine[];
  /** Lines in the text. */
  lines: number;
  /** Number of compact rules in hashHi / hashLo / meta. */
  domainCount: number;
  hashHi: Uint32Array;
  hashLo: Uint32Array;
  /** `line << FLAG_BITS | flags` per compact rule. */
  meta: Uint32Array;
  slowRules: SlowRule[];
  /** `$badfilter` rules: compact targets by key, slow targets by canonical text. */
  badFilters: CompactBadFilter[];
  badFilterKeys: string[];
}

export const MAX_REPORTED_LINES = 100;
