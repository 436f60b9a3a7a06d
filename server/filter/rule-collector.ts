/**
 * Accumulates one list's rules while a format parser walks the text: grows the typed arrays, validates
 * and hashes domains straight from the text (no substring on the common path), and keeps the invalid
 * and ignored line reports.
 */
import { domainToASCII } from 'node:url';
import { HASH1_SEED, HASH2_SEED } from './domain-hash.js';
import { onlyHostOrNonAscii } from './host-name.js';
import { FLAG_BITS, MAX_LINE } from './rule-flags.js';
import type { CompactBadFilter, InvalidLine, ListFormat, ParsedList } from './list-types.js';
import { MAX_REPORTED_LINES } from './list-types.js';
import type { SlowRule } from './slow-rule.js';

// Local copies: imported bindings are getters under dev loaders, too slow for per-character loops.
const SEED1 = HASH1_SEED;
const SEED2 = HASH2_SEED;
const LINE_SHIFT = FLAG_BITS;
const LINE_LIMIT = MAX_LINE;

/** Per ASCII code: the lower-cased character if it may appear in a host name, else 0. */
const HOST_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95 || c === 46) HOST_CHAR[c] = c;
  else if (c >= 65 && c <= 90) HOST_CHAR[c] = c | 0x20;
}

/** Result codes of scanDomain. */
const OK = 0;
const EMPTY = 1;
const BAD_CHAR = 2;
const EMPTY_LABEL = 3;
const LONG_LABEL = 4;
const LONG_NAME = 5;
const NON_ASCII = 6;

const SCAN_REASONS: Record<number, string> = {
  [EMPTY]: 'empty domain',
  [BAD_CHAR]: 'character not allowed in a domain name',
  [EMPTY_LABEL]: 'empty label (leading dot or "..")',
  [LONG_LABEL]: 'label longer than 63 characters',
  [LONG_NAME]: 'name longer than 253 characters',
  [NON_ASCII]: 'not a valid internationalised name',
};

export class RuleCollector {
  hashHi: Uint32Array;
  hashLo: Uint32Array;
  meta: Uint32Array;
  count = 0;
  slowRules: SlowRule[] = [];
  badFilters: CompactBadFilter[] = [];
  badFilterKeys: string[] = [];
  invalidCount = 0;
  invalid: InvalidLine[] = [];
  ignoredCount = 0;
  ignored: InvalidLine[] = [];
  lines = 0;
  /** Set by scanDomain on failure: why. */
  lastError = '';

  constructor(expectedRules: number) {
    const cap = Math.max(64, expectedRules);
    this.hashHi = new Uint32Array(cap);
    this.hashLo = new Uint32Array(cap);
    this.meta = new Uint32Array(cap);
  }

  /** Validates and hashes text[start, end) as a domain and stores it as a compact rule. */
  addDomain(text: string, start: number, end: number, line: number, flags: number): boolean {
    if (!this.scanDomain(text, start, end)) {
      this.addInvalid(text, start, end, line, this.lastError);
      return false;
    }
    this.commit(line, flags);
    return true;
  }

  /**
   * Stores the domain last scanned by scanDomain as a rule. The hash lanes are written straight into
   * the typed arrays by the scan: passing them around as numbers would box them (most are > 2^30).
   */
  commit(line: number, flags: number): void {
    const i = this.count++;
    this.meta[i] = ((Math.min(line, LINE_LIMIT) << LINE_SHIFT) | flags) >>> 0;
  }

  /** Adds a rule from a known key (used for rules built outside the text scan). */
  push(hi: number, lo: number, line: number, flags: number): void {
    this.reserve();
    this.hashHi[this.count] = hi;
    this.hashLo[this.count] = lo;
    this.commit(line, flags);
  }

  /** Hash lanes of the domain last scanned (not yet committed). */
  get pendingHi(): number {
    return this.hashHi[this.count]!;
  }

  get pendingLo(): number {
    return this.hashLo[this.count]!;
  }

  /**
   * Validates text[start, end) as a host name (letters, digits, '-', '_', dots between non-empty
   * labels, one trailing dot allowed), hashing it from the right into the arrays at index `count` (see commit). Non-ASCII names
   * go through IDNA (punycode) first. Returns false with lastError set when it is not a name.
   */
  scanDomain(text: string, start: number, end: number): boolean {
    this.reserve();
    if (end > start && text.charCodeAt(end - 1) === 46) end--;
    const code = this.scanAscii(text, start, end);
    if (code === OK) return true;
    // domainToASCII is a URL host parser: it would percent-decode `%2e` and drop tabs and CRs, so a
    // name with any ASCII character a host name cannot have is refused before it gets there.
    if (code === NON_ASCII && onlyHostOrNonAscii(text, start, end)) {
      const ascii = domainToASCII(text.slice(start, end));
      if (ascii !== '' && this.scanAscii(ascii, 0, ascii.length) === OK) return true;
    }
    this.lastError = SCAN_REASONS[code] ?? 'not a domain name';
    return false;
  }

  private scanAscii(text: string, start: number, end: number): number {
    if (end <= start) return EMPTY;
    if (end - start > 253) return LONG_NAME;
    let h1 = SEED1;
    let h2 = SEED2;
    let label = 0;
    const table = HOST_CHAR;
    for (let i = end - 1; i >= start; i--) {
      const raw = text.charCodeAt(i);
      const c = raw < 128 ? table[raw]! : 0;
      if (c === 0) return raw > 127 ? NON_ASCII : BAD_CHAR;
      if (c === 46) {
        if (label === 0) return EMPTY_LABEL;
        label = 0;
      } else if (++label > 63) return LONG_LABEL;
      // stepHash1 / stepHash2 inlined: module function calls are slow under dev loaders (tsx, vitest).
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    if (label === 0) return EMPTY_LABEL;
    this.hashHi[this.count] = h1;
    this.hashLo[this.count] = h2;
    return OK;
  }

  addInvalid(text: string, start: number, end: number, line: number, reason: string): void {
    this.invalidCount++;
    if (this.invalid.length < MAX_REPORTED_LINES) this.invalid.push(report(text, start, end, line, reason));
  }

  addIgnored(text: string, start: number, end: number, line: number, reason: string): void {
    this.ignoredCount++;
    if (this.ignored.length < MAX_REPORTED_LINES) this.ignored.push(report(text, start, end, line, reason));
  }

  finish(listId: number, format: ListFormat): ParsedList {
    const n = this.count;
    // Copied down to the exact size when much of the arrays is spare (a list with many comment lines),
    // so the spare room can be freed; else kept as views, not copied: a copy of a million-rule list's
    // arrays costs 12 MB more at the parse's peak, and glibc keeps such freed pages (bench/GAP.md).
    const keep = n >= this.hashHi.length - (this.hashHi.length >>> 3);
    const fit = (array: Uint32Array): Uint32Array => (keep ? array.subarray(0, n) : array.slice(0, n));
    return {
      listId,
      format,
      entries: n + this.slowRules.length,
      invalidCount: this.invalidCount,
      invalid: this.invalid,
      ignoredCount: this.ignoredCount,
      ignored: this.ignored,
      lines: this.lines,
      domainCount: n,
      hashHi: fit(this.hashHi),
      hashLo: fit(this.hashLo),
      meta: fit(this.meta),
      slowRules: this.slowRules,
      badFilters: this.badFilters,
      badFilterKeys: this.badFilterKeys,
    };
  }

  /** Makes room for one more rule at index `count`. */
  private reserve(): void {
    if (this.count === this.hashHi.length) this.grow();
  }

  private grow(): void {
    const cap = this.hashHi.length * 2;
    const hi = new Uint32Array(cap);
    hi.set(this.hashHi);
    const lo = new Uint32Array(cap);
    lo.set(this.hashLo);
    const meta = new Uint32Array(cap);
    meta.set(this.meta);
    this.hashHi = hi;
    this.hashLo = lo;
    this.meta = meta;
  }
}

function report(text: string, start: number, end: number, line: number, reason: string): InvalidLine {
  return { line, text: text.slice(start, Math.min(end, start + 200)), reason };
}
