/**
 * Local-records stage: names answered by tracksink itself, never forwarded.
 * - config.dns.local ("nas.home": "192.168.1.10", several addresses comma-separated, IPv6 too), with the
 *   matching PTR names;
 * - reverse names (PTR and anything else) under private, loopback, link-local and ULA ranges: NXDOMAIN
 *   (RFC 6303), so LAN addresses never leak to the upstream;
 * - the Firefox DoH canary and the iCloud Private Relay names: NXDOMAIN when config.dns.canaries says so.
 * Everything is prebuilt; a lookup is one or two Map reads. Answers are authoritative (AA=1).
 */
import { isIPv4 } from 'node:net';
import type { Config } from '../../config/schema.js';
import { QueryStatus, Reason } from '../../events/query-event.js';
import type { PrebuiltAnswer } from '../../dns-codec/answer-writer.js';
import { EdeCode, QType, Rcode } from '../../dns-codec/constants.js';
import {
  QUESTION_NAME_POINTER,
  encodeName,
  encodeRecord,
  ipv4Bytes,
  ipv6Bytes,
} from '../../dns-codec/record-encoder.js';
import { negativeSoa } from '../sinkhole.js';
import { normalizeAddress } from './address-ranges.js';
import { NEXT, type QueryContext, type Stage, type StageResult } from './stage.js';

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

export class LocalRecords implements Stage {
  private readonly exact = new Map<string, LocalAnswer>();
  private readonly nxdomain: PrebuiltAnswer;
  private readonly nodata: PrebuiltAnswer;
  private readonly found = { reason: Reason.none as Reason };

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

  run(t: QueryContext): StageResult {
    const local = this.lookup(t.q.name, t.q.qtype, this.found);
    if (local === null) return NEXT;
    const answer = t.withRecords(local, EdeCode.none, true);
    return t.finish(answer, QueryStatus.local, this.found.reason, local.rcode);
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
