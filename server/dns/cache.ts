/**
 * The answer cache: upstream answers stored as wire bytes (OPT removed), keyed by name, type, class and
 * DO bit. A hit is a map lookup by the already-decoded name string, a short walk of that name's entries
 * and an O(1) move to the front of an intrusive LRU list: nothing is allocated until the answer buffer.
 *
 * Fresh entries answer directly; expired ones stay (until evicted, or a day past expiry) so they can be
 * served stale when every upstream fails (RFC 8767). Negative answers are cached for the SOA's negative
 * TTL, capped by cache.negativeTtl (RFC 2308).
 */
import type { Config } from '../config/schema.js';
import type { WireAnswer } from '../dns-codec/answer-writer.js';
import { FLAG_TC, Rcode } from '../dns-codec/constants.js';
import { type MessageInfo, cnameTargets, readMessage, soaNegativeTtl } from '../dns-codec/message-reader.js';
import { toWireAnswer, wireAnswerBytes } from '../dns-codec/wire-answer.js';

/** How long past expiry an entry may still be served stale (RFC 8767 suggests 1 to 3 days). */
const STALE_LIMIT_MS = 24 * 3600 * 1000;
/** Negative answers without an SOA are cached at most this long (RFC 2308 §5 says not at all; be brief). */
const NEGATIVE_WITHOUT_SOA_TTL = 30;
/** Prefetch: only entries asked this often, with at least this TTL, in their last tenth of life. */
const PREFETCH_MIN_HITS = 3;
const PREFETCH_MIN_TTL = 10;
/**
 * What an entry costs beyond its answer bytes and its name, counted against `maxBytes`: the entry object,
 * its three typed-array views, the ArrayBuffer and its backing-store bookkeeping, the map slot. Measured
 * (Node 20, 60,000 one-A-record answers, after a full GC): ~610 bytes of heap plus 65 of ArrayBuffer per
 * entry, ~745 resident (bench/GAP.md, "memory pass").
 */
export const ENTRY_OVERHEAD_BYTES = 700;

export interface CacheEntry extends WireAnswer {
  name: string;
  qtype: number;
  qclass: number;
  dnssecOk: boolean;
  storedAtMs: number;
  expiresAtMs: number;
  /** Lifetime in seconds (smallest clamped TTL). */
  ttl: number;
  negative: boolean;
  hits: number;
  prefetching: boolean;
  /** CNAME targets in the answer, re-checked against the policy on every hit (lists change). */
  cnameTargets: string[] | null;
  prev: CacheEntry | null;
  next: CacheEntry | null;
  nextSameName: CacheEntry | null;
  /** What this entry counts against maxBytes (answer bytes + name + ENTRY_OVERHEAD_BYTES). */
  cost: number;
}

export type CacheOptions = Config['dns']['cache'];

export class DnsCache {
  private readonly byName = new Map<string, CacheEntry>();
  private head: CacheEntry | null = null;
  private tail: CacheEntry | null = null;
  private count = 0;
  private usedBytes = 0;
  hits = 0;
  misses = 0;
  evictions = 0;

  constructor(
    private readonly options: CacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Bytes the entries count against maxBytes (an estimate of resident memory, not a heap reading). */
  get bytes(): number {
    return this.usedBytes;
  }

  /**
   * The entry for this question, fresh or expired-but-servable-stale, or null. Moves it to the LRU front.
   * Counts hits and misses for fresh entries only.
   */
  lookup(name: string, qtype: number, qclass: number, dnssecOk: boolean, nowMs: number): CacheEntry | null {
    let e = this.byName.get(name) ?? null;
    while (e !== null) {
      if (e.qtype === qtype && e.qclass === qclass && e.dnssecOk === dnssecOk) break;
      e = e.nextSameName;
    }
    if (e === null) {
      this.misses++;
      return null;
    }
    if (nowMs >= e.expiresAtMs) {
      this.misses++;
      if (nowMs >= e.expiresAtMs + STALE_LIMIT_MS) {
        this.remove(e);
        return null;
      }
      return e;
    }
    this.hits++;
    e.hits++;
    this.moveToFront(e);
    return e;
  }

  isFresh(e: CacheEntry, nowMs: number): boolean {
    return nowMs < e.expiresAtMs;
  }

  /** Whole seconds since the entry was stored, to count its TTLs down. */
  elapsedSeconds(e: CacheEntry, nowMs: number): number {
    return Math.floor((nowMs - e.storedAtMs) / 1000);
  }

  /** True once per entry when a popular name is close to expiry: the caller refreshes it in the background. */
  shouldPrefetch(e: CacheEntry, nowMs: number): boolean {
    if (!this.options.prefetch || e.prefetching || e.negative) return false;
    if (e.hits < PREFETCH_MIN_HITS || e.ttl < PREFETCH_MIN_TTL) return false;
    if (e.expiresAtMs - nowMs > e.ttl * 100) return false; // more than a tenth of the TTL left
    e.prefetching = true;
    return true;
  }

  /**
   * Stores an upstream answer; returns the entry, or null when it is not cacheable (SERVFAIL, truncated,
   * malformed, TTL 0, cache disabled). `info` may be passed when the caller already read the message.
   */
  store(
    name: string,
    qtype: number,
    qclass: number,
    dnssecOk: boolean,
    message: Buffer,
    info: MessageInfo | null = readMessage(message),
  ): CacheEntry | null {
    if (this.options.maxEntries <= 0 || info === null) return null;
    if ((info.flags & FLAG_TC) !== 0) return null;
    const rcode = info.rcode;
    if (rcode !== Rcode.NOERROR && rcode !== Rcode.NXDOMAIN) return null;
    const answerCount = (message[6]! << 8) | message[7]!;
    const negative = rcode === Rcode.NXDOMAIN || answerCount === 0;

    const { minTtl, maxTtl, negativeTtl } = this.options;
    let lifetime: number;
    if (negative) {
      const soaTtl = soaNegativeTtl(message, info);
      lifetime = Math.min(soaTtl ?? NEGATIVE_WITHOUT_SOA_TTL, negativeTtl);
    } else {
      lifetime = Infinity;
    }

    const clamp = negative
      ? (ttl: number) => Math.min(ttl, lifetime)
      : (ttl: number) => Math.min(Math.max(ttl, minTtl), maxTtl);
    const answer = toWireAnswer(message, info, clamp);
    const { wire, ttlOffsets, ttls } = answer;
    if (!negative) for (const ttl of ttls) lifetime = Math.min(lifetime, ttl);
    if (!Number.isFinite(lifetime)) lifetime = minTtl;
    if (lifetime <= 0) return null;
    const cost = wireAnswerBytes(answer) + name.length + ENTRY_OVERHEAD_BYTES;
    if (cost > this.options.maxBytes) return null;

    const nowMs = this.now();
    const targets = negative ? [] : cnameTargets(message, info);
    const entry: CacheEntry = {
      wire,
      questionEnd: info.questionEnd,
      ttlOffsets,
      ttls,
      name,
      qtype,
      qclass,
      dnssecOk,
      storedAtMs: nowMs,
      expiresAtMs: nowMs + lifetime * 1000,
      ttl: lifetime,
      negative,
      hits: 0,
      prefetching: false,
      cnameTargets: targets.length > 0 ? targets : null,
      prev: null,
      next: null,
      nextSameName: null,
      cost,
    };
    this.insert(entry);
    return entry;
  }

  clear(): void {
    this.byName.clear();
    this.head = this.tail = null;
    this.count = 0;
    this.usedBytes = 0;
  }

  private insert(entry: CacheEntry): void {
    // Replace an entry for the same question.
    let e = this.byName.get(entry.name) ?? null;
    while (e !== null) {
      const next = e.nextSameName;
      if (e.qtype === entry.qtype && e.qclass === entry.qclass && e.dnssecOk === entry.dnssecOk)
        this.remove(e);
      e = next;
    }
    entry.nextSameName = this.byName.get(entry.name) ?? null;
    this.byName.set(entry.name, entry);
    entry.next = this.head;
    if (this.head !== null) this.head.prev = entry;
    this.head = entry;
    if (this.tail === null) this.tail = entry;
    this.count++;
    this.usedBytes += entry.cost;
    const { maxEntries, maxBytes } = this.options;
    while ((this.count > maxEntries || this.usedBytes > maxBytes) && this.tail !== null) {
      this.remove(this.tail);
      this.evictions++;
    }
  }

  private remove(entry: CacheEntry): void {
    // Unlink from the name chain.
    const first = this.byName.get(entry.name);
    if (first === entry) {
      if (entry.nextSameName === null) this.byName.delete(entry.name);
      else this.byName.set(entry.name, entry.nextSameName);
    } else {
      let e = first ?? null;
      while (e !== null && e.nextSameName !== entry) e = e.nextSameName;
      if (e !== null) e.nextSameName = entry.nextSameName;
    }
    entry.nextSameName = null;
    // Unlink from the LRU list.
    if (entry.prev !== null) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next !== null) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = entry.next = null;
    this.count--;
    this.usedBytes -= entry.cost;
  }

  private moveToFront(entry: CacheEntry): void {
    if (this.head === entry) return;
    if (entry.prev !== null) entry.prev.next = entry.next;
    if (entry.next !== null) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = null;
    entry.next = this.head;
    if (this.head !== null) this.head.prev = entry;
    this.head = entry;
  }
}
