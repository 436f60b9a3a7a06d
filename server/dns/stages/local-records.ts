/**
 * Local-records stage: names answered by tracksink itself, never forwarded.
 * - config.dns.local ("nas.home": "192.168.1.10", several addresses comma-separated, IPv6 too), with the
 *   matching PTR names;
 * - reverse names (PTR and anything else) under private, loopback, link-local and ULA ranges: NXDOMAIN
 *   (RFC 6303), so LAN addresses never leak to the upstream;
 * - the Firefox DoH canary and the iCloud Private Relay names: NXDOMAIN when config.dns.canaries says so.
 * Everything is prebuilt; a lookup is one or two Map reads.
 */
import { isIPv4 } from 'node:net';
import type { Config } from '../../config/schema.js';
import { Reason } from '../../events/query-event.js';
import { QType, Rcode } from '../codec/constants.js';
import {
  QUESTION_NAME_POINTER,
  encodeName,
  encodeRecord,
  ipv4Bytes,
  ipv6Bytes,
} from '../codec/record-encoder.js';
import { randomInt } from 'node:crypto';
import { Section, readMessage, readName } from '../codec/message-reader.js';
import { rewriteRdata } from '../codec/rewrite-rdata.js';
import type { RewriteSet } from '../../filter/rewrite.js';
import { type PrebuiltAnswer, negativeSoa } from '../sinkhole.js';
import { normalizeAddress } from './address-ranges.js';

/** TTL of local answers: short, so an edited config is seen quickly. */
export const LOCAL_TTL = 60;

export const FIREFOX_CANARY = 'use-application-dns.net';
export const ICLOUD_RELAY_NAMES = ['mask.icloud.com', 'mask-h2.icloud.com'] as const;

export interface LocalAnswer {
  reason: Reason;
  /** Per query type: A, AAAA, PTR, and the rest. */
  a: PrebuiltAnswer;
  aaaa: PrebuiltAnswer;
  ptr: PrebuiltAnswer;
  other: PrebuiltAnswer;
}

export function normalizeName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** The in-addr.arpa / ip6.arpa name of an address. */
export function reverseName(address: string): string {
  if (isIPv4(address)) return `${address.split('.').reverse().join('.')}.in-addr.arpa`;
  const hex = ipv6Bytes(address).toString('hex');
  return `${hex.split('').reverse().join('.')}.ip6.arpa`;
}

export class LocalRecords {
  private readonly exact = new Map<string, LocalAnswer>();
  private readonly nxdomain: PrebuiltAnswer;
  private readonly nodata: PrebuiltAnswer;

  constructor(dns: Pick<Config['dns'], 'local' | 'canaries'>) {
    const soa = negativeSoa(LOCAL_TTL);
    this.nxdomain = { rcode: Rcode.NXDOMAIN, answer: null, ancount: 0, authority: soa, nscount: 1 };
    this.nodata = { rcode: Rcode.NOERROR, answer: null, ancount: 0, authority: soa, nscount: 1 };
    const nx = this.nxdomain;
    const canary: LocalAnswer = { reason: Reason.canary, a: nx, aaaa: nx, ptr: nx, other: nx };
    if (dns.canaries.firefoxDoh) this.exact.set(FIREFOX_CANARY, canary);
    if (dns.canaries.icloudPrivateRelay) for (const name of ICLOUD_RELAY_NAMES) this.exact.set(name, canary);

    const ptrTargets = new Map<string, string[]>();
    for (const [rawName, value] of Object.entries(dns.local)) {
      const name = normalizeName(rawName);
      const where = `dns.local "${rawName}"`;
      try {
        encodeName(name);
      } catch (error) {
        throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
      }
      const v4: Buffer[] = [];
      const v6: Buffer[] = [];
      for (const part of String(value).split(',')) {
        const parsed = normalizeAddress(part.trim());
        if (parsed === null) {
          throw new Error(`${where}: "${part.trim()}" is not an IPv4 or IPv6 address (several: "a, b")`);
        }
        if (parsed.family === 'ipv4') v4.push(ipv4Bytes(parsed.address));
        else v6.push(ipv6Bytes(parsed.address));
        const ptr = reverseName(parsed.address);
        ptrTargets.set(ptr, [...(ptrTargets.get(ptr) ?? []), name]);
      }
      this.exact.set(name, {
        reason: Reason.localRecord,
        a: v4.length > 0 ? this.records(QType.A, v4) : this.nodata,
        aaaa: v6.length > 0 ? this.records(QType.AAAA, v6) : this.nodata,
        ptr: this.nodata,
        other: this.nodata,
      });
    }
    for (const [ptrName, targets] of ptrTargets) {
      const ptr = this.records(QType.PTR, targets.map(encodeName));
      this.exact.set(ptrName, {
        reason: Reason.localRecord,
        a: this.nodata,
        aaaa: this.nodata,
        ptr,
        other: this.nodata,
      });
    }
  }

  private records(type: number, rdatas: Buffer[]): PrebuiltAnswer {
    return {
      rcode: Rcode.NOERROR,
      answer: Buffer.concat(rdatas.map((r) => encodeRecord(QUESTION_NAME_POINTER, type, LOCAL_TTL, r))),
      ancount: rdatas.length,
      authority: null,
      nscount: 0,
    };
  }

  /** The local answer for this question, or null to go on with the pipeline. `out.reason` says why. */
  lookup(name: string, qtype: number, out: { reason: Reason }): PrebuiltAnswer | null {
    const local = this.exact.get(name);
    if (local !== undefined) {
      out.reason = local.reason;
      if (qtype === QType.A) return local.a;
      if (qtype === QType.AAAA) return local.aaaa;
      if (qtype === QType.PTR) return local.ptr;
      return local.other;
    }
    if (name.endsWith('.arpa') && isPrivateReverseName(name)) {
      out.reason = Reason.privatePtr;
      return this.nxdomain;
    }
    return null;
  }
}

/**
 * Answers for list rewrites (`$dnsrewrite`, hosts lines with real addresses): the records of the asked
 * type with LOCAL_TTL, an empty answer with an SOA (so it is cached, RFC 2308) when the rewrite has none
 * of that type, or the rewrite's response code. A CNAME rewrite answers the CNAME record (the client's
 * resolver follows it). Encoded once per rewrite set and question type, then reused.
 */
export class RewriteAnswers {
  private readonly cache = new WeakMap<RewriteSet, Map<number, PrebuiltAnswer>>();
  private readonly nodata: PrebuiltAnswer;
  private readonly nxdomain: PrebuiltAnswer;

  constructor() {
    const soa = negativeSoa(LOCAL_TTL);
    this.nodata = { rcode: Rcode.NOERROR, answer: null, ancount: 0, authority: soa, nscount: 1 };
    this.nxdomain = { ...this.nodata, rcode: Rcode.NXDOMAIN };
  }

  answerFor(set: RewriteSet, qtype: number): PrebuiltAnswer {
    let perType = this.cache.get(set);
    if (perType === undefined) {
      perType = new Map();
      this.cache.set(set, perType);
    }
    let answer = perType.get(qtype);
    if (answer === undefined) {
      answer = this.build(set, qtype);
      perType.set(qtype, answer);
    }
    return answer;
  }

  /** A CNAME rewrite asked for another type: the answer needs the target's records (AdGuard resolves it). */
  needsTarget(set: RewriteSet, qtype: number): boolean {
    return set.cname !== '' && set.rcode === Rcode.NOERROR && qtype !== QType.CNAME && qtype !== QType.ANY;
  }

  /**
   * The CNAME record followed by the target's records from the upstream answer (the CNAME chain and
   * the records of the asked type, names written out uncompressed); the CNAME alone when the upstream
   * answer is missing or unreadable. Built per query: CNAME rewrites go upstream anyway.
   */
  withTarget(set: RewriteSet, qtype: number, upstream: Buffer | null): PrebuiltAnswer {
    const own = encodeRecord(
      QUESTION_NAME_POINTER,
      QType.CNAME,
      LOCAL_TTL,
      rewriteRdata(QType.CNAME, set.cname),
    );
    const out = [own];
    const info = upstream === null ? null : readMessage(upstream);
    if (upstream !== null && info !== null) {
      for (const r of info.records) {
        if (r.section !== Section.answer || (r.type !== qtype && r.type !== QType.CNAME)) continue;
        const owner = readName(upstream, r.nameOffset);
        let rdata: Uint8Array | null = upstream.subarray(r.rdataOffset, r.rdataOffset + r.rdLength);
        if (r.type === QType.CNAME) {
          const target = readName(upstream, r.rdataOffset);
          rdata = target === null ? null : encodeName(target);
        } else if (qtype !== QType.A && qtype !== QType.AAAA && qtype !== QType.TXT) rdata = null; // may hold compressed names
        if (owner === null || rdata === null) continue;
        out.push(encodeRecord(encodeName(owner), r.type, Math.min(r.ttl, LOCAL_TTL), rdata));
      }
    }
    return records(out);
  }

  private build(set: RewriteSet, qtype: number): PrebuiltAnswer {
    if (set.rcode === Rcode.NXDOMAIN) return this.nxdomain;
    if (set.rcode !== Rcode.NOERROR)
      return { rcode: set.rcode, answer: null, ancount: 0, authority: null, nscount: 0 };
    if (set.cname !== '')
      return records([
        encodeRecord(QUESTION_NAME_POINTER, QType.CNAME, LOCAL_TTL, rewriteRdata(QType.CNAME, set.cname)),
      ]);
    const matching = set.records.filter((r) => r.type === qtype);
    if (matching.length === 0) return this.nodata;
    return records(
      matching.map((r) =>
        encodeRecord(QUESTION_NAME_POINTER, r.type, LOCAL_TTL, rewriteRdata(r.type, r.value)),
      ),
    );
  }
}

/** A recursive question for `name` (the target of a CNAME rewrite), as the upstream pool takes it. */
export function targetQuery(name: string, qtype: number): Buffer {
  const question = encodeName(name);
  const buf = Buffer.alloc(12 + question.length + 4);
  buf.writeUInt16BE(randomInt(0, 65536), 0);
  buf.writeUInt16BE(0x0100, 2); // RD
  buf.writeUInt16BE(1, 4);
  question.copy(buf, 12);
  buf.writeUInt16BE(qtype, 12 + question.length);
  buf.writeUInt16BE(1, 14 + question.length);
  return buf;
}

function records(encoded: Buffer[]): PrebuiltAnswer {
  return {
    rcode: Rcode.NOERROR,
    answer: Buffer.concat(encoded),
    ancount: encoded.length,
    authority: null,
    nscount: 0,
  };
}

/**
 * True when a reverse name lies under a private/loopback/link-local/ULA range (the whole range's zone
 * included, e.g. 168.192.in-addr.arpa). Names too short to tell (e.g. 192.in-addr.arpa) are not local.
 */
export function isPrivateReverseName(name: string): boolean {
  if (name.endsWith('.in-addr.arpa')) {
    const labels = name.slice(0, -'.in-addr.arpa'.length).split('.').reverse();
    const a = Number(labels[0]);
    const b = labels.length > 1 ? Number(labels[1]) : NaN;
    if (a === 10 || a === 127) return true;
    if (a === 192) return b === 168;
    if (a === 172) return b >= 16 && b <= 31;
    if (a === 169) return b === 254;
    return false;
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.').reverse().join('');
    if (nibbles.startsWith('fc') || nibbles.startsWith('fd')) return true; // fc00::/7
    if (/^fe[89ab]/.test(nibbles)) return true; // fe80::/10
    return nibbles === '0'.repeat(31) + '1'; // ::1
  }
  return false;
}
